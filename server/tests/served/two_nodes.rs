//! Two `liaison serve` processes on one PostgreSQL database: a revocation made on one node
//! closes a guest's live event stream and live socket on the other within 250 ms
//! (LISTEN/NOTIFY), and the other node's very next request is refused.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::node::{http, json_call, Node, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_on_one_node_closes_streams_on_another() {
    let db = TestDb::create().await;
    let data = tempfile::tempdir().unwrap();
    let mut a = Node::start(Some(&db), data.path(), &[]).await;
    let key = a.api_key().await;
    a.wait_healthy().await;
    let b = Node::start(Some(&db), data.path(), &[]).await;
    b.wait_healthy().await;

    // On node A: a document and a share; on node B the guest opens it and holds a live
    // event stream.
    let (share_id, jwt) = crate::live::open_share_on(a.port, b.port, &key, json!({})).await;
    let mut stream = TcpStream::connect(("127.0.0.1", b.port)).await.unwrap();
    stream
        .write_all(format!("GET /api/portal/events HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {jwt}\r\nAccept: text/event-stream\r\n\r\n", crate::node::PUBLIC_HOST).as_bytes())
        .await
        .unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("event: ready") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "stream closed early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }

    // Node B also holds the page's live socket.
    let mut socket = crate::live::connect(b.port, Some(&jwt), Some(crate::node::PUBLIC_URL))
        .await
        .unwrap();
    assert_eq!(
        crate::live::next(&mut socket).await.unwrap()["type"],
        "ready"
    );

    // Node A revokes; node B's stream carries `revoked` and closes, and so does the socket.
    let started = Instant::now();
    let socket_closed = tokio::spawn(async move {
        let end = crate::live::next(&mut socket).await.err();
        (end, started.elapsed())
    });
    let (status, revoked) = json_call(
        a.port,
        "POST",
        &format!("/api/v1/shares/{share_id}/revoke"),
        &key,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    let reached = loop {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("the stream on node B stayed open after the revocation")
            .unwrap();
        if n > 0 {
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        if seen.contains("event: revoked") {
            break started.elapsed();
        }
        assert!(n > 0, "stream closed without a revoked event: {seen}");
    };
    println!(
        "revocation on node A reached node B's stream after {} ms",
        reached.as_millis()
    );
    assert!(reached <= Duration::from_millis(250), "took {reached:?}");
    let (end, closed) = socket_closed.await.unwrap();
    assert_eq!(end, Some((4001, "revoked".to_owned())));
    println!(
        "revocation on node A closed node B's live socket after {} ms",
        closed.as_millis()
    );
    assert!(closed <= Duration::from_millis(250), "took {closed:?}");

    // The very next request on node B is refused, with an RFC 6750 challenge.
    let (status, body) = http(b.port, "GET", "/api/portal/items", Some(&jwt), None)
        .await
        .unwrap();
    assert_eq!(status, 401, "{}", String::from_utf8_lossy(&body));
    drop(a);
    drop(b);
}
