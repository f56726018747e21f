//! Strict reading and writing of URL query strings.
//!
//! Lenient decoders turn a broken escape into replacement characters; a view
//! must instead be refused with a message, so this module checks every escape
//! and every decoded byte itself, on top of the `percent-encoding` crate.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::error::{ErrorCode, ViewError, quote, quote_key};

/// Characters kept as they are in written values: RFC 3986 unreserved ones plus
/// `/` and `:`, which keeps load balancer names and timestamps readable in links.
const VALUE_SET: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/').remove(b':');

/// Splits a query string (without the leading `?`) into decoded pairs, in order.
///
/// Refuses malformed percent-escapes, escapes that decode to invalid UTF-8 and
/// control characters, naming the parameter at fault.
pub fn parse_pairs(query: &str) -> Result<Vec<(String, String)>, ViewError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (raw_key, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
            let key = decode(raw_key, raw_key)?;
            let value = decode(&key, raw_value)?;
            Ok((key, value))
        })
        .collect()
}

/// Refuses any parameter, for a route that takes none: the same
/// `unknown_parameter` every other route gives one it does not know.
pub fn no_parameters(query: &str) -> Result<(), ViewError> {
    match parse_pairs(query)?.into_iter().next() {
        None => Ok(()),
        Some((key, _)) => Err(ViewError::new(
            ErrorCode::UnknownParameter,
            quote_key(&key),
            format!("unknown parameter `{}`; this route accepts no parameters", quote_key(&key)),
        )),
    }
}

/// Writes pairs as a query string, escaping what must be escaped.
pub fn write_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let mut out = String::new();
    for (key, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.extend(utf8_percent_encode(&value, VALUE_SET));
    }
    out
}

fn decode(param: &str, raw: &str) -> Result<String, ViewError> {
    let bytes = raw.as_bytes();
    for (index, _) in raw.match_indices('%') {
        let escape = bytes.get(index + 1..index + 3);
        if !escape.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
            return Err(malformed(param, raw, "a `%` not followed by two hexadecimal digits"));
        }
    }
    let plus_as_space = raw.replace('+', " ");
    let decoded = percent_decode_str(&plus_as_space)
        .decode_utf8()
        .map_err(|_| malformed(param, raw, "percent-escapes that do not decode to UTF-8"))?;
    if decoded.chars().any(char::is_control) {
        return Err(malformed(param, raw, "control characters"));
    }
    Ok(decoded.into_owned())
}

fn malformed(param: &str, raw: &str, what: &str) -> ViewError {
    ViewError::new(
        ErrorCode::InvalidParameter,
        quote_key(param),
        format!("`{}`: got {} which contains {what}; expected URL-encoded UTF-8 text", quote_key(param), quote(raw)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_plus() {
        let pairs = parse_pairs("?a=x%2Fy&b=1+2&&c").unwrap();
        assert_eq!(pairs, vec![("a".into(), "x/y".into()), ("b".into(), "1 2".into()), ("c".into(), String::new())]);
    }

    #[test]
    fn refuses_broken_escapes_bad_utf8_and_control_characters() {
        for bad in ["a=%", "a=%4", "a=%zz", "a=%ff%fe", "a=%C3%28", "a=x%00y", "a=%0A", "%ff=1"] {
            let err = parse_pairs(bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidParameter, "{bad}");
        }
    }

    #[test]
    fn a_route_without_parameters_refuses_any() {
        assert_eq!(no_parameters(""), Ok(()));
        assert_eq!(no_parameters("&&"), Ok(()));
        let err = no_parameters("foo=bar").unwrap_err();
        assert_eq!((err.code, err.param.as_str()), (ErrorCode::UnknownParameter, "foo"));
        assert_eq!(no_parameters("a=%ff").unwrap_err().code, ErrorCode::InvalidParameter);
    }

    #[test]
    fn writes_readable_values_and_escapes_the_rest() {
        let written = write_pairs([
            ("lb", "app/edge-alb/50dc6c495c0c9188".to_string()),
            ("from", "2026-01-01T00:00:00Z".to_string()),
            ("x", "a+b&c d".to_string()),
        ]);
        assert_eq!(written, "lb=app/edge-alb/50dc6c495c0c9188&from=2026-01-01T00:00:00Z&x=a%2Bb%26c%20d");
        assert_eq!(parse_pairs(&written).unwrap()[2].1, "a+b&c d");
    }
}
