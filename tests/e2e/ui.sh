#!/usr/bin/env bash
# MCP Apps views in a real browser: the real zava-mcp (serving the project's
# host page with --ui-host-dir) against a real cluster with the demo data and
# a product whose name is markup, driven by tests/ui/browser.mjs (Debian's
# Chromium through playwright-core) as seattle_manager and as head office.
# Screenshots of every view land in target/ui-screenshots/.
source "$(dirname "$0")/../lib.sh"
DIR="${ZAVA_ROOT}/target/e2e-ui"; P=5484; HTTP_PORT=8775
SHOTS="${ZAVA_ROOT}/target/ui-screenshots"
XSS_NAME='<img src=x onerror=alert(1)>'; XSS_SKU='XSS-0001'
SEATTLE=7a0a0000-0000-4000-8000-000000000011; HEAD_OFFICE=7a0a0000-0000-4000-8000-000000000001
START=${SECONDS}
cluster_stop "${DIR}"; rm -rf "${DIR}"
cluster_init "${DIR}" "${P}" fast; cluster_start "${DIR}"
BRIDGE_PID=""; HOST_BUILD=""; BRIDGE_BUILD=""
trap 'for pid in ${BRIDGE_PID} ${HOST_BUILD} ${BRIDGE_BUILD}; do kill "${pid}" 2>/dev/null; done; cluster_stop "${DIR}"' EXIT

# The host page and the bridge build while the cluster loads its data.
( bash "${ZAVA_ROOT}/mcp-bridge/ui-host/build.sh" "${ZAVA_ROOT}/target/ui-host" > "${DIR}/host-build.log" 2>&1 ) & HOST_BUILD=$!
( cd "${ZAVA_ROOT}" && cargo build -q -p zava-mcp > "${DIR}/cargo-build.log" 2>&1 ) & BRIDGE_BUILD=$!

q "${P}" postgres postgres -c "CREATE DATABASE zava"
q "${P}" postgres zava -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava CASCADE" \
    -c "SELECT zava.generate_demo_data(0.05, 42, '2024-06-30')" -c "SELECT zava.setup_demo_logins()" >/dev/null \
    || { echo "not ok - the demo database is made (CREATE EXTENSION zava, demo data, logins)"; exit 1; }
echo "# demo data loaded after $((SECONDS - START)) s"
# The catalogue's vectors before the XSS product joins it (the same catalogue as
# tests/e2e/mcp.sh's, so either suite's vectors serve the other).
echo "# embeddings: $(embed_products "${P}" zava)"
# Named periods (last_quarter, …) and the inventory's 28 days count back from
# the demo data's last day, not from today.
q "${P}" postgres postgres -c "ALTER DATABASE zava SET zava.as_of_date = '2024-06-30'"
# A product whose name is markup, sold and stocked in Seattle's store: it is in
# Seattle's top products, inventory alerts (2 left, ~0.4 sold a day) and search.
# Plain inserts as the administrator: the extension's triggers keep the rollups.
q "${P}" postgres zava -c "SET client_min_messages = warning" -c "
DO \$\$
DECLARE
    store uuid := (SELECT store_id FROM zava.principal_stores WHERE principal_id = '${SEATTLE}');
    customer uuid;
    product uuid := '7a0a0000-0000-4000-8000-00000000a551';
    kind record;
    o uuid;
BEGIN
    SELECT customer_id INTO customer FROM retail.customers WHERE store_id = store ORDER BY customer_id LIMIT 1;
    SELECT type_id, category_id INTO kind FROM retail.product_types ORDER BY type_name, type_id LIMIT 1;
    INSERT INTO retail.products (product_id, sku, product_name, category_id, type_id, product_description, cost, base_price)
    VALUES (product, '${XSS_SKU}', '${XSS_NAME}', kind.category_id, kind.type_id,
            'A test product whose name is HTML markup: <script>alert(2)</script>', 40.00, 150.00);
    INSERT INTO retail.inventory (store_id, product_id, stock_level, reorder_point) VALUES (store, product, 2, 20);
    FOR week IN 0..11 LOOP
        o := gen_random_uuid();
        INSERT INTO retail.orders (store_id, order_id, customer_id, ordered_at, status)
        VALUES (store, o, customer, timestamptz '2024-06-29 12:00 America/Los_Angeles' - week * interval '7 days', 'completed');
        INSERT INTO retail.order_items (store_id, order_item_id, order_id, product_id, quantity, unit_price, line_total, unit_cost)
        VALUES (store, gen_random_uuid(), o, product, 3, 150.00, 450.00, 40.00);
    END LOOP;
END
\$\$" || echo "not ok - the XSS product is inserted"
echo "# the XSS product embedded: $(q "${P}" postgres zava -c "SET client_min_messages = warning" -c "SELECT zava.refresh_embeddings()"); ready after $((SECONDS - START)) s"
expect_eq "the XSS product is in the rollups (12 orders, 36 units in Seattle)" \
    "$(q "${P}" postgres zava -c "SELECT sum(units) FROM (SELECT units FROM retail.daily_product_sales WHERE product_id = '7a0a0000-0000-4000-8000-00000000a551'
                                 UNION ALL SELECT units FROM zava.pending_product_sales WHERE product_id = '7a0a0000-0000-4000-8000-00000000a551') s")" "36"

wait "${BRIDGE_BUILD}" || { cat "${DIR}/cargo-build.log"; echo "not ok - zava-mcp builds"; exit 1; }
wait "${HOST_BUILD}"; rc=$?; HOST_BUILD=""; BRIDGE_BUILD=""
expect_eq "the host page builds (mcp-bridge/ui-host/build.sh)" "${rc}" "0"
[ "${rc}" = 0 ] || { cat "${DIR}/host-build.log"; exit 1; }
UI_TESTS="${ZAVA_ROOT}/tests/ui"
# playwright-core and the MCP client, from the lock, unless node_modules was made from it.
LOCK_SUM="$(sha256sum "${UI_TESTS}/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "${UI_TESTS}/node_modules/.zava-lock.sha256" 2>/dev/null)" != "${LOCK_SUM}" ]; then
    (cd "${UI_TESTS}" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null) || { echo "not ok - npm ci in tests/ui"; exit 1; }
    echo "${LOCK_SUM}" > "${UI_TESTS}/node_modules/.zava-lock.sha256"
fi

BIN="${ZAVA_ROOT}/target/debug/zava-mcp"
SEATTLE_TOKEN="seattle-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
HEAD_OFFICE_TOKEN="office-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava" \
ZAVA_TOKENS="${SEATTLE_TOKEN}=${SEATTLE},${HEAD_OFFICE_TOKEN}=${HEAD_OFFICE}" \
    "${BIN}" http --listen "127.0.0.1:${HTTP_PORT}" --ui-host-dir "${ZAVA_ROOT}/target/ui-host" \
    > "${DIR}/bridge.log" 2>&1 &
BRIDGE_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:${HTTP_PORT}/healthz" >/dev/null && break; sleep 0.1; done
expect "zava-mcp http starts with --ui-host-dir and answers /healthz" curl -sf -o /dev/null "http://127.0.0.1:${HTTP_PORT}/healthz"
expect "it serves the host page at /ui-host/" bash -c "curl -sf 'http://127.0.0.1:${HTTP_PORT}/ui-host/' | grep -q 'host.js'"
echo "# ready for the browser after $((SECONDS - START)) s"

rm -rf "${SHOTS}"
B0=${SECONDS}
ZAVA_UI_BASE="http://127.0.0.1:${HTTP_PORT}" SEATTLE_TOKEN="${SEATTLE_TOKEN}" HEAD_OFFICE_TOKEN="${HEAD_OFFICE_TOKEN}" \
ZAVA_SCREENSHOT_DIR="${SHOTS}" ZAVA_XSS_NAME="${XSS_NAME}" ZAVA_XSS_SKU="${XSS_SKU}" \
    node "${UI_TESTS}/browser.mjs"
expect_eq "the browser test ran to completion" "$?" "0"
echo "# browser test $((SECONDS - B0)) s; suite $((SECONDS - START)) s"
