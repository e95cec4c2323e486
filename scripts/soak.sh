# The soak's inputs, for tests/e2e/pooler.sh and scripts/bench-pooler.sh.
# Sourced after cluster.sh.
#
# soak_principals PORT: every demo principal of database zava on PORT gets a
# fresh token. Sets LOGINS (login names), TOKENS (`token=uuid,…` for
# ZAVA_TOKENS) and SOAK_PRINCIPALS ("login token uuid" lines).
soak_principals() {
    local port="$1" login token id
    mapfile -t LOGINS < <(soak_psql "${port}" postgres -c "SELECT role_name FROM zava.demo_principals() ORDER BY principal_id")
    TOKENS=""; SOAK_PRINCIPALS=()
    for login in "${LOGINS[@]}"; do
        token="${login}-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
        id="$(soak_psql "${port}" postgres -c "SELECT principal_id FROM zava.demo_principals() WHERE role_name = '${login}'")"
        TOKENS="${TOKENS:+${TOKENS},}${token}=${id}"
        SOAK_PRINCIPALS+=("${login} ${token} ${id}")
    done
}

soak_psql() { # soak_psql PORT USER psql-arguments…
    local port="$1" user="$2"; shift 2
    "${PG_BIN}/psql" "postgresql://${user}@127.0.0.1:${port}/zava" -XqAt -v ON_ERROR_STOP=1 "$@"
}

# soak_spec PORT PERIOD CALLS PHASES BRIDGE-URL…: the spec of `zava-bench soak`
# (its execute_sales_query is SOAK_QUERY, default: orders by store)
# on stdout (PHASES like `[8, 64, 32]`). The stores each principal may see come
# from the principal tables (not from row-level security, which is what a soak
# tests); the answers from the SQL functions called as the principal's login.
soak_spec() {
    local port="$1" period="$2" calls="$3" phases="$4" login token id stores checks sep="" bridges=""
    shift 4
    local query="${SOAK_QUERY:-SELECT o.store_id, count(*) AS orders FROM retail.orders o GROUP BY o.store_id ORDER BY o.store_id}"
    for b in "$@"; do bridges="${bridges:+${bridges}, }\"${b}\""; done
    echo "{\"bridges\": [${bridges}], \"calls\": ${calls}, \"phases\": ${phases}, \"principals\": ["
    for entry in "${SOAK_PRINCIPALS[@]}"; do
        read -r login token id <<<"${entry}"
        stores="$(soak_psql "${port}" postgres -c "SELECT json_agg(s.store_id ORDER BY s.store_id) FROM retail.stores s
            WHERE EXISTS (SELECT FROM zava.principals p WHERE p.principal_id = '${id}' AND p.kind = 'head_office')
               OR s.store_id IN (SELECT store_id FROM zava.principal_stores WHERE principal_id = '${id}')")"
        checks="$(soak_psql "${port}" "${login}" -v "q=${query}" -v "period=${period}" <<'SQL'
SELECT json_build_array(
  json_build_object('tool', 'execute_sales_query', 'arguments', json_build_object('postgresql_query', :'q'),
                    'answer', zava.safe_query(:'q', NULL, 10000)),
  json_build_object('tool', 'get_store_performance', 'arguments', json_build_object('period', :'period'),
                    'answer', zava.store_performance(NULL, :'period', NULL)),
  json_build_object('tool', 'get_top_products', 'arguments', json_build_object('period', :'period', 'k', 5),
                    'answer', zava.top_products_json(NULL, :'period', 5, NULL, NULL)),
  json_build_object('tool', 'get_customer_insights', 'arguments', json_build_object('period', :'period'),
                    'answer', zava.customer_insights(NULL, :'period')))
SQL
)" || return 1
        echo "${sep}{\"name\": \"${login}\", \"token\": \"${token}\", \"stores\": ${stores}, \"checks\": ${checks}}"
        sep=","
    done
    echo ']}'
}
