//! Staff watching a share's activity on the console's live channel (`/api/console/live`):
//! a guest's view reaches the watching page as it is committed — on the same node, and
//! from another node through PostgreSQL — each event once; the feed is staff's alone and
//! names only shares and documents of the staff member's organisation.

use std::time::{Duration, Instant};

use futures::SinkExt;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::MaybeTlsStream;

use crate::live::{first_item, next, open_share_on, ready_socket, Socket};
use crate::node::{http, json_call, Node, TestDb, PUBLIC_HOST, PUBLIC_URL};

/// Signs in to the console on `port` as a browser of the site would: the session cookie.
async fn sign_in(port: u16, email: &str, password: &str) -> String {
    use leptos::server_fn::ServerFn;
    let path = <app::server_fns::auth::SignIn as ServerFn>::PATH;
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("email", email)
        .append_pair("password", password)
        .finish();
    let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {PUBLIC_HOST}\r\nOrigin: {PUBLIC_URL}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let text = String::from_utf8_lossy(&raw);
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| v.trim().split(';').next())
        .find(|c| c.starts_with("liaison_session="))
        .unwrap_or_else(|| panic!("no console session: {text}"))
        .to_owned()
}

/// The console's live channel on `port` with the session `cookie`, ready.
async fn console_socket(port: u16, cookie: &str) -> Socket {
    let mut request = format!("ws://{PUBLIC_HOST}/api/console/live")
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    headers.insert("origin", HeaderValue::from_static(PUBLIC_URL));
    headers.insert("cookie", HeaderValue::from_str(cookie).unwrap());
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (mut socket, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp))
        .await
        .expect("the console channel was refused");
    assert_eq!(next(&mut socket).await.unwrap()["type"], "ready");
    socket
}

/// Watches `share_id`'s activity from chain position `after`.
async fn watch_share(socket: &mut Socket, share_id: &str, after: i64) {
    let watch = json!({ "type": "watch", "feed": "share", "id": share_id, "after": after });
    socket.send(Message::text(watch.to_string())).await.unwrap();
}

/// An `activity` message's event types (newest first) and its `last_seq`.
fn events(message: &Value) -> (Vec<String>, i64) {
    assert_eq!(message["type"], "activity", "{message}");
    let types = message["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap().to_owned())
        .collect();
    (types, message["last_seq"].as_i64().unwrap())
}

/// The guest opens the share's document in the viewer (an `item.viewed` event).
async fn view(port: u16, jwt: &str) {
    let item = first_item(port, jwt).await;
    let (status, _) = http(
        port,
        "POST",
        &format!("/api/portal/items/{item}/views"),
        Some(jwt),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_see_a_shares_activity_as_it_happens() {
    let data = tempfile::tempdir().unwrap();
    let mut node = Node::start(None, data.path(), &[]).await;
    let first = node.first_start().await;
    node.wait_healthy().await;
    let port = node.port;
    let (share_id, jwt) = open_share_on(port, port, &first.api_key, json!({})).await;
    let cookie = sign_in(port, &first.email, &first.password).await;
    let mut staff = console_socket(port, &cookie).await;

    // What happened before the page opened (from the start of the chain).
    watch_share(&mut staff, &share_id, 0).await;
    let (types, cursor) = events(&next(&mut staff).await.unwrap());
    assert!(types.contains(&"share.created".to_owned()), "{types:?}");
    assert!(types.contains(&"share.accessed".to_owned()), "{types:?}");
    assert!(cursor > 0);

    // The guest views the document: the event reaches the page once committed, alone.
    let started = Instant::now();
    view(port, &jwt).await;
    let (types, next_cursor) = events(&next(&mut staff).await.unwrap());
    println!(
        "a guest's view reached the watching page {} ms after the request started",
        started.elapsed().as_millis()
    );
    assert_eq!(types, ["item.viewed"]);
    assert!(next_cursor > cursor);

    // Watching again from the page's cursor (a reconnect) sends nothing already seen;
    // the revocation comes next.
    watch_share(&mut staff, &share_id, next_cursor).await;
    let (status, body) = json_call(
        port,
        "POST",
        &format!("/api/v1/shares/{share_id}/revoke"),
        &first.api_key,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (types, _) = events(&next(&mut staff).await.unwrap());
    assert_eq!(types, ["share.revoked"]);

    // A feed the organisation does not have ends the socket.
    watch_share(&mut staff, &uuid::Uuid::now_v7().to_string(), 0).await;
    assert_eq!(
        next(&mut staff).await.err(),
        Some((1008, "unknown_feed".to_owned()))
    );

    // The feed is staff's: a guest's socket that asks for it is closed.
    let (other_share, other_jwt) = open_share_on(port, port, &first.api_key, json!({})).await;
    let mut guest = ready_socket(port, &other_jwt).await;
    watch_share(&mut guest, &other_share, 0).await;
    assert_eq!(
        next(&mut guest).await.err(),
        Some((1008, "staff_only".to_owned()))
    );
}

/// A guest's view on node A reaches a page watching on node B (PostgreSQL `NOTIFY`, sent
/// in the viewing transaction), once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_on_one_node_reaches_pages_on_another() {
    let db = TestDb::create().await;
    let data = tempfile::tempdir().unwrap();
    let mut a = Node::start(Some(&db), data.path(), &[]).await;
    let first = a.first_start().await;
    a.wait_healthy().await;
    let b = Node::start(Some(&db), data.path(), &[]).await;
    b.wait_healthy().await;
    let (share_id, jwt) = open_share_on(a.port, a.port, &first.api_key, json!({})).await;
    let cookie = sign_in(b.port, &first.email, &first.password).await;
    let mut staff = console_socket(b.port, &cookie).await;
    watch_share(&mut staff, &share_id, 0).await;
    let (_, cursor) = events(&next(&mut staff).await.unwrap());

    let started = Instant::now();
    view(a.port, &jwt).await;
    let (types, last) = events(&next(&mut staff).await.unwrap());
    let took = started.elapsed();
    println!(
        "a guest's view on node A reached a page on node B in {} ms",
        took.as_millis()
    );
    assert_eq!(types, ["item.viewed"]);
    assert!(last > cursor);
    assert!(took < Duration::from_secs(2), "took {took:?}");
}
