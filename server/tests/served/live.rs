//! The guest's live channel (`/api/portal/live`) against a real `liaison serve`: only from
//! the site's own origin and with a portal session; closed with 4001 `revoked` the moment
//! the share is revoked (within 50 ms on the same node; `two_nodes.rs` measures across
//! nodes); malformed and oversize input closed with RFC 6455's codes (a Python probe);
//! comments pushed to the guests who read them, and caught up after a reconnect.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::node::{http, json_call, Node, PUBLIC_HOST, PUBLIC_URL};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens the live channel on `port` as a browser on `origin` would, with `jwt` as the
/// portal session: the socket, or the HTTP status that refused the upgrade.
pub async fn connect(port: u16, jwt: Option<&str>, origin: Option<&str>) -> Result<Socket, u16> {
    let mut request = format!("ws://{PUBLIC_HOST}/api/portal/live")
        .into_client_request()
        .unwrap();
    let headers = request.headers_mut();
    if let Some(o) = origin {
        headers.insert("origin", HeaderValue::from_str(o).unwrap());
    }
    if let Some(t) = jwt {
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {t}")).unwrap(),
        );
    }
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    match tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp)).await {
        Ok((socket, _)) => Ok(socket),
        Err(Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("the upgrade failed: {e}"),
    }
}

/// The next text message (skipping pings), or the close frame's code and reason.
pub async fn next(socket: &mut Socket) -> Result<Value, (u16, String)> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("nothing from the live channel within 10 s");
        match message {
            Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(Some(f)))) => {
                return Err((u16::from(f.code), f.reason.to_string()))
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("unexpected from the live channel: {other:?}"),
        }
    }
}

/// Runs the WebSocket probe (`end2end/peers/ws-probe/probe.py`: Python `websockets`, and
/// frames written by hand that no library sends) against the guest channel on `port`: it
/// fails unless every kind of bad input is closed with its RFC 6455 code while a socket
/// that behaved is still served.
async fn ws_probe(port: u16, jwt: &str) {
    let python = std::env::var("LIAISON_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../end2end/peers/ws-probe/probe.py"
    );
    let out = tokio::process::Command::new(&python)
        .arg(probe)
        .args([&port.to_string(), PUBLIC_HOST, PUBLIC_URL, jwt])
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {python} ({e}); run scripts/bootstrap"));
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    assert!(
        out.status.success(),
        "the WebSocket probe failed:\n{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The live channel on `port` for `jwt` from the site's own origin, past its `ready`.
pub async fn ready_socket(port: u16, jwt: &str) -> Socket {
    let mut socket = connect(port, Some(jwt), Some(PUBLIC_URL)).await.unwrap();
    assert_eq!(next(&mut socket).await.unwrap()["type"], "ready");
    socket
}

/// A document shared with Jane on `port`, opened as a portal session: (share id, JWT).
pub async fn open_share(port: u16, key: &str) -> (String, String) {
    open_share_on(port, port, key, json!({})).await
}

/// A document shared with Jane with `settings` on the node at `create`, opened as a portal
/// session on the node at `open`: (share id, JWT).
pub async fn open_share_on(create: u16, open: u16, key: &str, settings: Value) -> (String, String) {
    let port = create;
    let (status, doc) = crate::node::upload_text(port, key, "memo.txt", b"the memo").await;
    assert_eq!(status, 201, "{doc}");
    let (status, share) = json_call(port, "POST", "/api/v1/shares", key, json!({ "item": doc["id"], "recipient": { "name": "Jane", "email": "jane@lawfirm.example" }, "settings": settings })).await;
    assert_eq!(status, 201, "{share}");
    (
        share["id"].as_str().unwrap().to_owned(),
        open_link(open, &share).await,
    )
}

/// The portal JWT of a session opened on `port` with the link of `share` (as the REST API
/// answered its creation).
pub async fn open_link(port: u16, share: &Value) -> String {
    let token = share["url"].as_str().unwrap().rsplit('/').next().unwrap();
    let (status, session) = json_call(
        port,
        "POST",
        "/api/portal/session",
        "",
        json!({ "token": token }),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    session["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_channel_is_the_guests_alone_and_closes_on_revocation() {
    let data = tempfile::tempdir().unwrap();
    let mut node = Node::start(None, data.path(), &[]).await;
    let key = node.api_key().await;
    node.wait_healthy().await;
    let (share_id, jwt) = open_share(node.port, &key).await;
    let port = node.port;

    // Cross-site WebSocket hijacking: another origin, or none, is refused at the upgrade;
    // so is a socket without a portal session.
    assert_eq!(
        connect(port, Some(&jwt), Some("https://evil.example"))
            .await
            .err(),
        Some(403)
    );
    assert_eq!(connect(port, Some(&jwt), None).await.err(), Some(403));
    assert_eq!(connect(port, None, Some(PUBLIC_URL)).await.err(), Some(401));

    // The page's socket: ready, answers pings; the protocol takes nothing else.
    let mut socket = connect(port, Some(&jwt), Some(PUBLIC_URL)).await.unwrap();
    assert_eq!(next(&mut socket).await.unwrap()["type"], "ready");
    socket
        .send(Message::text(r#"{"type":"ping"}"#))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await.unwrap()["type"], "pong");

    // Bad input from an independent client: each kind closed with its code, the sockets
    // that behave unaffected.
    ws_probe(port, &jwt).await;
    socket
        .send(Message::text(r#"{"type":"ping"}"#))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await.unwrap()["type"], "pong");

    // Revoked: the open socket is closed with 4001 within 50 ms of the answer.
    let (status, body) = json_call(
        port,
        "POST",
        &format!("/api/v1/shares/{share_id}/revoke"),
        &key,
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let answered = Instant::now();
    assert_eq!(
        next(&mut socket).await.err(),
        Some((4001, "revoked".to_owned()))
    );
    let after = answered.elapsed();
    println!(
        "the socket closed {} ms after the revocation answered",
        after.as_millis()
    );
    assert!(after <= Duration::from_millis(50), "took {after:?}");
    // And a new one is refused.
    assert_eq!(
        connect(port, Some(&jwt), Some(PUBLIC_URL)).await.err(),
        Some(401)
    );
}

/// A socket is re-checked like a request, and at once when what admits its guest changes:
/// rejecting the guest's browser (under "approved devices only") closes its silent socket
/// with 4004, for the page to reload and show why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_browser_is_cut_at_once() {
    let data = tempfile::tempdir().unwrap();
    let mut node = Node::start(None, data.path(), &[]).await;
    let key = node.api_key().await;
    node.wait_healthy().await;
    let port = node.port;
    let (share_id, jwt) =
        open_share_on(port, port, &key, json!({ "approved_devices_only": true })).await;
    let mut socket = ready_socket(port, &jwt).await;
    socket
        .send(Message::text(r#"{"type":"ping"}"#))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await.unwrap()["type"], "pong");

    let (status, devices) = json_call(
        port,
        "GET",
        &format!("/api/v1/shares/{share_id}/devices"),
        &key,
        Value::Null,
    )
    .await;
    assert_eq!(status, 200, "{devices}");
    let device = devices["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = json_call(
        port,
        "POST",
        &format!("/api/v1/shares/{share_id}/devices/{device}"),
        &key,
        json!({ "approve": false }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // The answer is the share's devices as a bare list, as it always was.
    assert_eq!(body[0]["status"], "rejected", "{body}");
    let answered = Instant::now();
    assert_eq!(
        next(&mut socket).await.err(),
        Some((4004, "not_allowed".to_owned()))
    );
    let after = answered.elapsed();
    println!(
        "a rejected browser's socket closed {} ms after the decision answered",
        after.as_millis()
    );
    assert!(after <= Duration::from_millis(250), "took {after:?}");
}

/// The id of the (first) item the portal session `jwt` shows.
pub async fn first_item(port: u16, jwt: &str) -> String {
    let (status, items) = http(port, "GET", "/api/portal/items", Some(jwt), None)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let items: Value = serde_json::from_slice(&items).unwrap();
    items["items"][0]["id"].as_str().unwrap().to_owned()
}

/// The bodies of a `comments` message, and its last change number.
fn bodies(message: &Value) -> (Vec<String>, i64) {
    assert_eq!(message["type"], "comments", "{message}");
    let bodies = message["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap().to_owned())
        .collect();
    (bodies, message["last_rev"].as_i64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_reach_the_guest_live_and_a_reconnect_misses_nothing() {
    let data = tempfile::tempdir().unwrap();
    let mut node = Node::start(None, data.path(), &[]).await;
    let key = node.api_key().await;
    node.wait_healthy().await;
    let port = node.port;
    let (share_id, jwt) = open_share_on(port, port, &key, json!({ "permission": "comment" })).await;
    let doc = first_item(port, &jwt).await;
    let staff_post = |body: &str, audience: Value| {
        let (key, doc, body) = (key.clone(), doc.clone(), body.to_owned());
        async move {
            let (status, c) = json_call(
                port,
                "POST",
                &format!("/api/v1/documents/{doc}/comments"),
                &key,
                json!({ "body": body, "audience": audience }),
            )
            .await;
            assert_eq!(status, 201, "{c}");
            c
        }
    };

    let mut socket = ready_socket(port, &jwt).await;
    socket
        .send(Message::text(
            json!({ "type": "follow", "document": doc, "after": 0 }).to_string(),
        ))
        .await
        .unwrap();
    // Nothing to catch up on; nobody else is viewing (a guest never sees other guests).
    let presence = next(&mut socket).await.unwrap();
    assert_eq!(
        (
            presence["type"].as_str(),
            presence["viewers"].as_array().map(Vec::len)
        ),
        (Some("presence"), Some(0))
    );
    // Staff write to the guest's share: it arrives at once.
    let started = Instant::now();
    staff_post("Please check page 3.", json!({ "share": share_id })).await;
    let (got, _) = bodies(&next(&mut socket).await.unwrap());
    assert_eq!(got, ["Please check page 3."]);
    assert!(started.elapsed() < Duration::from_millis(500));
    // A staff-only thread never reaches the guest; the guest's own comment does.
    staff_post("Internal: she is slow to answer.", json!("staff")).await;
    let (status, mine) = json_call(
        port,
        "POST",
        &format!("/api/portal/items/{doc}/comments"),
        &jwt,
        json!({ "body": "Done, see my note.", "page": 3 }),
    )
    .await;
    assert_eq!(status, 201, "{mine}");
    let (got, last_rev) = bodies(&next(&mut socket).await.unwrap());
    assert_eq!(got, ["Done, see my note."]);
    // A guest cannot address a thread.
    let (status, refused) = json_call(
        port,
        "POST",
        &format!("/api/portal/items/{doc}/comments"),
        &jwt,
        json!({ "body": "to all", "audience": "staff" }),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (422, Some("audience"))
    );

    // The page drops off; two replies are written meanwhile; following again from the last
    // change it saw brings exactly those, in order.
    socket.close(None).await.unwrap();
    drop(socket);
    for text in ["Thanks.", "Filed."] {
        let reply = json!({ "body": text, "reply_to": mine["id"], "audience": "staff" });
        let (status, c) = json_call(
            port,
            "POST",
            &format!("/api/v1/documents/{doc}/comments"),
            &key,
            reply,
        )
        .await;
        assert_eq!(status, 201, "{c}");
    }
    let mut socket = ready_socket(port, &jwt).await;
    socket
        .send(Message::text(
            json!({ "type": "follow", "document": doc, "after": last_rev }).to_string(),
        ))
        .await
        .unwrap();
    let (got, caught_up) = bodies(&next(&mut socket).await.unwrap());
    assert_eq!(got, ["Thanks.", "Filed."]);
    assert!(caught_up > last_rev);
    assert_eq!(next(&mut socket).await.unwrap()["type"], "presence");
    // Typing in a thread the guest does not read ends the socket's patience: here, the
    // guest's own thread is fine (nothing comes back to them), an unknown one is not.
    socket
        .send(Message::text(
            json!({ "type": "typing", "document": doc, "thread": mine["id"] }).to_string(),
        ))
        .await
        .unwrap();
    // Nothing more follows (a ping answers first).
    socket
        .send(Message::text(r#"{"type":"ping"}"#))
        .await
        .unwrap();
    assert_eq!(next(&mut socket).await.unwrap()["type"], "pong");
    // Typing about a thread the guest does not read ends the socket.
    let staff_only = staff_post("Staff only.", json!("staff")).await;
    socket
        .send(Message::text(
            json!({ "type": "typing", "document": doc, "thread": staff_only["id"] }).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(
        next(&mut socket).await.unwrap_err(),
        (1008, "unknown_thread".to_owned())
    );
    let mut socket = ready_socket(port, &jwt).await;
    // A document the share does not cover ends the socket.
    socket
        .send(Message::text(
            json!({ "type": "follow", "document": "not-this-share", "after": 0 }).to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(
        next(&mut socket).await.unwrap_err(),
        (1008, "unknown_document".to_owned())
    );
}
