//! A real DNS server for tests: Debian's dnsmasq, answering for `.example` only with the
//! TXT records a test gives it. Shared by the backend's and the server's tests.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A dnsmasq answering for `.example` only: the given TXT records, NXDOMAIN for the rest.
pub struct Dnsmasq(Child);

impl Dnsmasq {
    pub async fn start(port: u16, records: &[(String, String)]) -> Self {
        Self::launch(port, records, true).await
    }

    /// A DNS server that cannot say: it answers every question with REFUSED (it has no
    /// upstream and no local zone), as a broken or misconfigured resolver does — at once,
    /// where a server that is down would make each lookup wait for its timeout.
    pub async fn refusing(port: u16) -> Self {
        Self::launch(port, &[], false).await
    }

    async fn launch(port: u16, records: &[(String, String)], answers_example: bool) -> Self {
        let mut cmd = Command::new(
            ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"]
                .into_iter()
                .find(|p| std::path::Path::new(p).exists())
                .expect("dnsmasq (Debian's dnsmasq-base; scripts/bootstrap installs it)"),
        );
        cmd.args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            "--pid-file=",
            "--user=root",
        ])
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        if answers_example {
            cmd.arg("--local=/example/");
        }
        for (name, value) in records {
            cmd.arg(format!("--txt-record={name},{value}"));
        }
        // Owned by the guard at once, so it is killed and reaped however this ends.
        let guard = Dnsmasq(cmd.spawn().expect("start dnsmasq"));
        // Ready when it accepts TCP on its port.
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return guard;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("dnsmasq did not start on port {port}");
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
