//! The smallest poem server that answers one Redis `GET` as JSON: what qblog's plain
//! `GET /api/qrcode/check` (also one store read, answered as JSON) is measured against,
//! on the same machine in the same run (`bench/check-vs-baseline.sh`).
//!
//! ```text
//! PORT=8090 REDIS_URL=redis://127.0.0.1:6379 KEY=bench:key qblog-bench-baseline
//! GET /get  →  {"errno":0,"data":<the key's value or null>}
//! ```
//!
//! No access log, no middleware: the floor a poem + Redis service cannot go below.

use poem::http::StatusCode;
use poem::listener::TcpListener;
use poem::web::Data;
use poem::{EndpointExt, Response, Route, Server, get, handler};
use redis::aio::ConnectionManager;

/// The key every request reads.
#[derive(Clone)]
struct Key(String);

#[handler]
async fn read(Data(redis): Data<&ConnectionManager>, Data(key): Data<&Key>) -> Response {
    let mut redis = redis.clone();
    match redis::cmd("GET")
        .arg(&key.0)
        .query_async::<Option<String>>(&mut redis)
        .await
    {
        Ok(value) => Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(serde_json::json!({"errno": 0, "data": value}).to_string()),
        Err(err) => Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .body(err.to_string()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let client = redis::Client::open(var("REDIS_URL", "redis://127.0.0.1:6379"))?;
    let redis = ConnectionManager::new(client).await?;
    let app = Route::new()
        .at("/get", get(read))
        .data(redis)
        .data(Key(var("KEY", "bench:key")));
    let address = format!("127.0.0.1:{}", var("PORT", "8090"));
    Server::new(TcpListener::bind(address)).run(app).await?;
    Ok(())
}
