//! The served OpenAPI document against docs/api-contract.md, route for route.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::spawn_app;

/// `(METHOD, path, [error statuses])` for each row of the contract's route table.
fn contract_routes() -> Vec<(String, String, Vec<String>)> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/api-contract.md"))
            .expect("docs/api-contract.md");
    let table = text
        .split("## Routes")
        .nth(1)
        .expect("a Routes section")
        .split("\n## ")
        .next()
        .expect("its text");
    table
        .lines()
        .filter_map(|line| {
            let mut cells = line.split('|').map(str::trim).filter(|c| !c.is_empty());
            let route = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
            let (method, path) = route.split_once(' ')?;
            let errors = cells
                .next()?
                .split(',')
                .map(str::trim)
                .filter(|s| *s != "-")
                .map(str::to_owned)
                .collect();
            Some((method.to_owned(), path.to_owned(), errors))
        })
        .collect()
}

#[tokio::test]
async fn the_served_document_has_exactly_the_contracts_routes_and_their_errors() {
    let app = spawn_app().await;
    let spec: Value = app.get("/openapi.json").await.json().await.expect("json");
    let served: BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .expect("operations")
                .keys()
                .map(move |method| (method.to_ascii_uppercase(), path.clone()))
        })
        .collect();
    let routes = contract_routes();
    assert!(routes.len() > 20, "the table was read: {routes:?}");
    let documented: BTreeSet<(String, String)> = routes
        .iter()
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    assert_eq!(
        served, documented,
        "served routes differ from docs/api-contract.md"
    );

    for (method, path, errors) in &routes {
        let responses = &spec["paths"][path][method.to_ascii_lowercase()]["responses"];
        for status in errors {
            let response = &responses[status.as_str()];
            assert!(
                response["content"]["application/json; charset=utf-8"]["schema"]["$ref"]
                    == "#/components/schemas/Error",
                "{method} {path} does not document {status} with the error envelope: {responses}"
            );
        }
    }
}

#[tokio::test]
async fn limits_in_the_document_are_the_ones_the_service_enforces() {
    let app = spawn_app().await;
    let spec: Value = app.get("/openapi.json").await.json().await.expect("json");
    let register = &spec["components"]["schemas"]["RegisterRequest"]["properties"];
    let max = register["username"]["maxLength"]
        .as_u64()
        .expect("maxLength") as usize;
    let body = |name: String| serde_json::json!({"username": name, "password": "long-enough-pw", "realname": "R"});
    let at_limit = app
        .post_json("/api/user/register", &body("u".repeat(max)))
        .await;
    assert_eq!(at_limit.status(), 201);
    let over = app
        .post_json("/api/user/register", &body("v".repeat(max + 1)))
        .await;
    assert_eq!(over.status(), 400);

    let page_size = spec["paths"]["/api/blog/list"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "page_size")
        .expect("page_size")["schema"]["maximum"]
        .as_u64()
        .expect("maximum");
    let ok = app
        .get(&format!("/api/blog/list?page_size={page_size}"))
        .await;
    assert_eq!(ok.status(), 200);
    let too_many = app
        .get(&format!("/api/blog/list?page_size={}", page_size + 1))
        .await;
    assert_eq!(too_many.status(), 400);
    // Routes that answer nothing say so.
    let del = &spec["paths"]["/api/blog/del"]["post"]["responses"]["200"];
    let envelope = del["content"]["application/json; charset=utf-8"]["schema"]["$ref"]
        .as_str()
        .expect("a schema")
        .rsplit('/')
        .next()
        .expect("name")
        .to_owned();
    assert_eq!(
        spec["components"]["schemas"][&envelope]["properties"]["data"]["enum"],
        serde_json::json!([null])
    );
}

/// The whole served document, against the reviewed copy in
/// tests/api/snapshots/openapi.json. A change to any route, schema, limit or
/// response shows up here as a diff to review; after reviewing it, refresh the copy
/// with `QBLOG_UPDATE_SNAPSHOTS=1 cargo nextest run -E 'test(openapi_snapshot)'`.
#[tokio::test]
async fn the_openapi_snapshot_matches_the_served_document() {
    let app = spawn_app().await;
    let mut spec: Value = app.get("/openapi.json").await.json().await.expect("json");
    // The server URL follows the test's settings, not the code.
    spec["servers"] = Value::Null;
    let served = serde_json::to_string_pretty(&spec).expect("json") + "\n";
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/api/snapshots/openapi.json"
    );
    if std::env::var_os("QBLOG_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &served).expect("snapshot written");
        return;
    }
    let reviewed = std::fs::read_to_string(path).expect("tests/api/snapshots/openapi.json");
    if reviewed != served {
        let first = reviewed
            .lines()
            .zip(served.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(reviewed.lines().count().min(served.lines().count()));
        panic!(
            "the served OpenAPI document differs from tests/api/snapshots/openapi.json from \
             line {}:\n  snapshot: {}\n  served:   {}\nReview the change, then refresh the \
             snapshot with QBLOG_UPDATE_SNAPSHOTS=1.",
            first + 1,
            reviewed.lines().nth(first).unwrap_or("(end)"),
            served.lines().nth(first).unwrap_or("(end)"),
        );
    }
}
