//! What a file is, decided from its bytes alone (never from its name or the type the
//! client claims): the types Liaison accepts, recognised as the file streams in.

/// Every type [`Sniffer::content_type`] can answer (text with its charset).
pub const ACCEPTED: [&str; 6] = [
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain; charset=utf-8",
];

/// The accepted types, recognised by their first bytes. SVG and HTML are deliberately
/// absent: both can carry script.
pub fn sniff_content_type(bytes: &[u8]) -> Option<&'static str> {
    let mut sniffer = Sniffer::default();
    sniffer.feed(bytes);
    sniffer.content_type()
}

/// Decides a file's type from its content, fed piece by piece (uploads are streamed): a
/// known magic number at the start (PDF, PNG, JPEG, GIF, WebP), or else UTF-8 text with
/// no control characters throughout that does not open as HTML, SVG or XML. Anything else
/// is refused by the callers.
#[derive(Debug, Default)]
pub struct Sniffer {
    /// The first bytes, for magic numbers and the markup check.
    head: Vec<u8>,
    /// No byte so far rules out plain text.
    not_text: bool,
    /// The incomplete UTF-8 sequence at the end of the last piece.
    carry: Vec<u8>,
}

impl Sniffer {
    const HEAD: usize = 512;

    pub fn feed(&mut self, piece: &[u8]) {
        let room = Self::HEAD.saturating_sub(self.head.len());
        self.head.extend_from_slice(&piece[..piece.len().min(room)]);
        if self.not_text {
            return;
        }
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(piece);
        let valid = match std::str::from_utf8(&bytes) {
            Ok(text) => text,
            Err(e) if e.error_len().is_none() => {
                // A character split across pieces: finish it with the next one.
                self.carry = bytes[e.valid_up_to()..].to_vec();
                std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default()
            }
            Err(_) => {
                self.not_text = true;
                return;
            }
        };
        if valid
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
        {
            self.not_text = true;
        }
    }

    pub fn content_type(&self) -> Option<&'static str> {
        let b = &self.head;
        if b.starts_with(b"%PDF-") {
            Some("application/pdf")
        } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some("image/png")
        } else if b.starts_with(b"\xFF\xD8\xFF") {
            Some("image/jpeg")
        } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
            Some("image/gif")
        } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
            Some("image/webp")
        } else if !self.not_text && self.carry.is_empty() {
            let head = String::from_utf8_lossy(b).to_ascii_lowercase();
            let head = head.trim_start();
            let markup = ["<!doctype html", "<html", "<svg", "<?xml"]
                .iter()
                .any(|m| head.starts_with(m));
            (!markup).then_some("text/plain; charset=utf-8")
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sniff_content_type as sniff;

    #[test]
    fn sniffing_table() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(
            sniff("Minutes of the meeting — ünïcode".as_bytes()),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff(b"  <!DOCTYPE html><script>"), None);
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0"), None);
        assert_eq!(sniff(b"PK\x03\x04 zip"), None);
    }

    /// Streamed uploads are sniffed piece by piece: a character split across pieces is
    /// still text, a control byte far past the head still rules text out.
    #[test]
    fn sniffing_in_pieces() {
        let text = "Résumé ünïcode ".repeat(100);
        for cut in [1, 2, 7, 513, 1000] {
            let mut s = super::Sniffer::default();
            for piece in text.as_bytes().chunks(cut) {
                s.feed(piece);
            }
            assert_eq!(s.content_type(), Some("text/plain; charset=utf-8"), "{cut}");
        }
        let mut s = super::Sniffer::default();
        s.feed("a".repeat(4096).as_bytes());
        s.feed(b"\x00binary");
        assert_eq!(s.content_type(), None);
        let mut s = super::Sniffer::default();
        s.feed(&"é".as_bytes()[..1]);
        assert_eq!(s.content_type(), None, "ends inside a character");
    }
}
