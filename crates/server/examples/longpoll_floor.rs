//! The memory floor of a waiting request: a bare poem server whose only route sleeps,
//! with none of qblog's pipeline, services or store. `bench/longpoll-floor.sh` holds
//! 10,000 requests open against it and reads its resident memory, so the figure for
//! qblog's own long-polls can be compared with what the framework costs by itself.
//!
//!     cargo run --release -p qblog-server --example longpoll_floor -- <port>

use std::time::Duration;

use poem::listener::TcpListener;
use poem::{Route, Server, handler};

/// Answers after `wait` seconds, like a long-poll that sees no change.
#[handler]
async fn wait(poem::web::Query(params): poem::web::Query<WaitParams>) -> &'static str {
    tokio::time::sleep(Duration::from_secs(params.wait)).await;
    "unchanged"
}

#[derive(serde::Deserialize)]
struct WaitParams {
    wait: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).unwrap_or_else(|| "8090".to_owned());
    let app = Route::new().at("/wait", poem::get(wait));
    Server::new(TcpListener::bind(format!("127.0.0.1:{port}")))
        .run(app)
        .await
}
