//! Request heads measured before hyper parses them.
//!
//! hyper answers a request target over 64 KiB, or a head larger than its
//! read buffer, with a bare 414 or 431 of its own: no JSON body, none of the
//! security headers every other refusal carries. [`HeadGuard`] sits between
//! the socket and hyper, follows the requests of a keep-alive connection
//! (each head, then its `Content-Length` body), and stops a head before it
//! reaches hyper's limits: hyper then reads the end of the connection, and
//! the socket is handed back with what was over, for the application to
//! answer as it answers every refusal.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::oneshot;

/// The longest request target hyper takes (`http::Uri`'s own limit); a
/// longer one is hyper's bare 414.
const HYPER_TARGET_CEILING: usize = 65_534;

/// How large a head may grow before the guard stops it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadLimits {
    /// Bytes of the request line (method, target, version), without its
    /// line end.
    pub request_line: usize,
    /// Bytes of the whole head, request line and header lines.
    pub head: usize,
    /// Header lines of a head.
    pub header_lines: usize,
}

impl HeadLimits {
    /// Limits that stop every head hyper would refuse itself, and no head
    /// the application could accept under `max_header_bytes`: a request
    /// line at hyper's target ceiling (any line longer holds a longer
    /// target), and header lines twice the application's limit (which
    /// counts no optional whitespace), at least 64 KiB; and as many header
    /// lines as the application's limit holds, counting each line as it
    /// does, at 4 bytes more than its name (at least one) and value: more
    /// lines than that are over it anyway.
    pub fn for_header_bytes(max_header_bytes: usize) -> Self {
        let header_bytes = max_header_bytes.saturating_mul(2).max(65_536);
        Self {
            request_line: HYPER_TARGET_CEILING,
            head: HYPER_TARGET_CEILING.saturating_add(header_bytes),
            header_lines: max_header_bytes / 5,
        }
    }

    /// The header lines hyper parses: one more than the guard lets through.
    pub fn hyper_header_lines(&self) -> usize {
        self.header_lines.saturating_add(1)
    }

    /// hyper's read buffer: room for the longest head the guard lets
    /// through, and its own minimum of 8 KiB.
    pub fn hyper_buffer(&self) -> usize {
        self.head.saturating_add(8_192)
    }
}

/// What the guard stopped, with the bytes it had seen of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlong {
    /// A request line longer than [`HeadLimits::request_line`].
    Target { at_least: usize },
    /// A head longer than [`HeadLimits::head`], or of more header lines
    /// than [`HeadLimits::header_lines`].
    Head { at_least: usize },
}

/// Where the scanner is in the connection's byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Position {
    /// In a request's head.
    Head(HeadProgress),
    /// In a body of known length: this many bytes are left.
    Body(u64),
    /// Framing the scanner does not follow (a chunked body, say): it lets
    /// the rest of the connection through, leaving it to hyper's limits.
    Unfollowed,
}

/// How far into a head the scanner is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct HeadProgress {
    /// Bytes of the head so far, line ends not counted.
    bytes: usize,
    /// Bytes of the current line so far, line end not counted.
    line: usize,
    /// Whether the request line has ended.
    past_request_line: bool,
    /// Header lines ended so far.
    header_lines: usize,
    /// The start of the current header line, enough to read a
    /// `Content-Length` or see a `Transfer-Encoding`.
    start: Vec<u8>,
    /// The body's length, from `Content-Length`.
    body: Option<u64>,
    /// Whether the head frames its body in a way not followed.
    unfollowed: bool,
}

/// Bytes of a header line kept to read its name and a length.
const KEPT_OF_A_LINE: usize = 64;

/// Follows a connection's bytes from request to request and says where a
/// head goes over its limits.
#[derive(Debug, Clone)]
pub struct HeadScanner {
    limits: HeadLimits,
    position: Position,
}

impl HeadScanner {
    pub fn new(limits: HeadLimits) -> Self {
        Self { limits, position: Position::Head(HeadProgress::default()) }
    }

    /// Reads the next bytes of the connection; where a head goes over its
    /// limits, answers the offset of the first byte over and what it was.
    pub fn scan(&mut self, bytes: &[u8]) -> Option<(usize, Overlong)> {
        let mut offset = 0;
        while offset < bytes.len() {
            match &mut self.position {
                Position::Unfollowed => return None,
                Position::Body(left) => {
                    let skipped = usize::try_from(*left).unwrap_or(usize::MAX).min(bytes.len() - offset);
                    offset += skipped;
                    *left -= skipped as u64;
                    if *left == 0 {
                        self.position = Position::Head(HeadProgress::default());
                    }
                }
                Position::Head(head) => {
                    let byte = bytes[offset];
                    if byte == b'\n' {
                        if let Some(next) = head.end_line() {
                            self.position = next;
                        } else if head.header_lines > self.limits.header_lines {
                            return Some((offset, Overlong::Head { at_least: head.bytes }));
                        }
                    } else if byte != b'\r' {
                        head.bytes += 1;
                        head.line += 1;
                        if head.past_request_line && head.start.len() < KEPT_OF_A_LINE {
                            head.start.push(byte);
                        }
                        if !head.past_request_line && head.line > self.limits.request_line {
                            return Some((offset, Overlong::Target { at_least: head.line }));
                        }
                        if head.bytes > self.limits.head {
                            return Some((offset, Overlong::Head { at_least: head.bytes }));
                        }
                    }
                    offset += 1;
                }
            }
        }
        None
    }
}

impl HeadProgress {
    /// Ends the current line; answers where the stream goes when it ended
    /// the head.
    fn end_line(&mut self) -> Option<Position> {
        let empty = self.line == 0;
        self.line = 0;
        if !self.past_request_line {
            // Blank lines before a request line are allowed and skipped.
            self.past_request_line = !empty;
            return None;
        }
        if empty {
            return Some(match self.body {
                _ if self.unfollowed => Position::Unfollowed,
                Some(length) if length > 0 => Position::Body(length),
                _ => Position::Head(Self::default()),
            });
        }
        self.header_lines += 1;
        self.read_framing();
        self.start.clear();
        None
    }

    /// Notes what a header line says of the body's framing. A length the
    /// scanner cannot read exactly leaves the rest of the connection
    /// unfollowed rather than guessed.
    fn read_framing(&mut self) {
        let line = String::from_utf8_lossy(&self.start);
        let Some((name, value)) = line.split_once(':') else { return };
        let name = name.trim().to_ascii_lowercase();
        if name == "transfer-encoding" {
            self.unfollowed = true;
        } else if name == "content-length" {
            let complete = self.start.len() < KEPT_OF_A_LINE;
            match value.trim().parse::<u64>() {
                Ok(length) if complete && self.body.is_none_or(|known| known == length) => self.body = Some(length),
                _ => self.unfollowed = true,
            }
        }
    }
}

/// A socket whose request heads are measured before hyper reads them.
/// Once a head goes over, reading ends (hyper sees the connection close in
/// the middle of a head, and answers nothing), and the socket, dropped by
/// hyper, is handed back through the channel [`HeadGuard::new`] returns.
pub struct HeadGuard<S> {
    stream: Option<S>,
    scanner: HeadScanner,
    overlong: Option<Overlong>,
    hand_back: Option<oneshot::Sender<(S, Overlong)>>,
}

impl<S> HeadGuard<S> {
    /// Guards `stream`; the receiver gets the socket back if a head went over.
    pub fn new(stream: S, limits: HeadLimits) -> (Self, oneshot::Receiver<(S, Overlong)>) {
        let (hand_back, handed_back) = oneshot::channel();
        let guard = Self {
            stream: Some(stream),
            scanner: HeadScanner::new(limits),
            overlong: None,
            hand_back: Some(hand_back),
        };
        (guard, handed_back)
    }

    fn stream(&mut self) -> io::Result<&mut S> {
        self.stream.as_mut().ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))
    }
}

impl<S> Drop for HeadGuard<S> {
    fn drop(&mut self) {
        if let (Some(overlong), Some(stream), Some(hand_back)) =
            (self.overlong, self.stream.take(), self.hand_back.take())
        {
            let _ = hand_back.send((stream, overlong));
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HeadGuard<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.overlong.is_some() {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        ready!(Pin::new(this.stream()?).poll_read(cx, buf))?;
        if let Some((over_at, overlong)) = this.scanner.scan(&buf.filled()[before..]) {
            // hyper gets the bytes before the first one over, then the end.
            buf.set_filled(before + over_at);
            this.overlong = Some(overlong);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeadGuard<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(self.get_mut().stream()?).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.get_mut().stream()?).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(AsyncWrite::is_write_vectored)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.get_mut().stream()?).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.overlong.is_some() {
            // The refusal is still to be written on this socket.
            return Poll::Ready(Ok(()));
        }
        Pin::new(this.stream()?).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: HeadLimits = HeadLimits { request_line: 40, head: 120, header_lines: 3 };

    fn target(length: usize) -> String {
        format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "x".repeat(length))
    }

    #[test]
    fn heads_within_the_limits_pass_request_after_request() {
        let mut scanner = HeadScanner::new(SMALL);
        let requests = [target(10), target(20), "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n".to_string()];
        for request in requests {
            assert_eq!(scanner.scan(request.as_bytes()), None, "{request:?}");
        }
    }

    #[test]
    fn a_request_line_over_its_limit_is_stopped_at_the_first_byte_over() {
        let request = target(60);
        let mut scanner = HeadScanner::new(SMALL);
        // "GET /" and 35 more bytes make 40.
        assert_eq!(scanner.scan(request.as_bytes()), Some((40, Overlong::Target { at_least: 41 })));
    }

    #[test]
    fn a_long_target_is_found_when_it_arrives_a_byte_at_a_time() {
        let request = target(60);
        let mut scanner = HeadScanner::new(SMALL);
        let stopped = request.bytes().enumerate().find_map(|(at, byte)| scanner.scan(&[byte]).map(|over| (at, over)));
        assert_eq!(stopped, Some((40, (0, Overlong::Target { at_least: 41 }))));
    }

    #[test]
    fn a_head_over_its_limit_is_stopped_after_the_request_line() {
        let request = format!("GET / HTTP/1.1\r\nX-A: {}\r\n\r\n", "v".repeat(200));
        let stopped = HeadScanner::new(SMALL).scan(request.as_bytes());
        assert!(matches!(stopped, Some((_, Overlong::Head { at_least: 121 }))), "{stopped:?}");
    }

    #[test]
    fn more_header_lines_than_the_limit_are_stopped_at_the_line_over() {
        let within = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
        let mut scanner = HeadScanner::new(SMALL);
        assert_eq!(scanner.scan(within.as_bytes()), None);
        let over = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n";
        assert_eq!(scanner.scan(over.as_bytes()), Some((over.len() - 3, Overlong::Head { at_least: 30 })));
    }

    #[test]
    fn a_body_of_known_length_is_skipped_whatever_it_holds() {
        let body = "y".repeat(500);
        let first = format!("GET / HTTP/1.1\r\ncontent-length: {}\r\n\r\n{body}", body.len());
        let mut scanner = HeadScanner::new(SMALL);
        assert_eq!(scanner.scan(first.as_bytes()), None);
        // The next request's head is measured from its own start.
        let next = target(60);
        assert_eq!(scanner.scan(next.as_bytes()), Some((40, Overlong::Target { at_least: 41 })));
    }

    #[test]
    fn framing_it_cannot_follow_leaves_the_rest_to_hyper() {
        for framing in ["Transfer-Encoding: chunked", "Content-Length: 5\r\nContent-Length: 6", "Content-Length: x"] {
            let mut scanner = HeadScanner::new(SMALL);
            let first = format!("GET / HTTP/1.1\r\n{framing}\r\n\r\n");
            assert_eq!(scanner.scan(first.as_bytes()), None);
            assert_eq!(scanner.scan(target(60).as_bytes()), None, "{framing}");
        }
    }

    #[test]
    fn the_default_limits_stop_every_target_hyper_refuses_and_fit_its_buffer() {
        let limits = HeadLimits::for_header_bytes(16_384);
        // "GET " + a target hyper refuses + " HTTP/1.1" is longer than the limit.
        assert!(4 + HYPER_TARGET_CEILING + 1 > limits.request_line);
        assert!(limits.head > limits.request_line + 2 * 16_384);
        assert!(limits.hyper_buffer() > limits.head);
        // A line counts 5 bytes at least: more lines than this are over 16,384.
        assert_eq!(limits.header_lines, 3_276);
    }
}
