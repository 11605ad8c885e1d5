//! The one secret type: webhook secrets, the tunnel token and the API token.
//!
//! It owns keeping a secret out of sight: `Debug` shows a mask and there is
//! no `Display`, so a secret cannot reach a log line or an API answer by
//! accident; [`Secret::expose`] is the one way to read it. It never signs
//! anything (klikit's HMAC is in `klikit`).

use std::fmt;

/// A secret string (webhook secret, tunnel token, API token). `Debug` shows
/// a mask.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret, without its surrounding whitespace. An empty (or
    /// all-whitespace) one is `None`: an HMAC with an empty key would let
    /// anyone forge deliveries, and an empty token would let anyone in.
    pub fn new(value: impl Into<String>) -> Option<Secret> {
        let v = value.into();
        let trimmed = v.trim();
        if trimmed.is_empty() {
            None
        } else {
            Some(Secret(trimmed.to_string()))
        }
    }

    /// The secret itself, for the one place that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_no_secret_and_debug_is_masked() {
        assert_eq!(Secret::new(""), None);
        assert_eq!(Secret::new("  \n"), None, "whitespace alone is no secret");
        let s = Secret::new(" whsec-1 ").unwrap();
        assert_eq!(s.expose(), "whsec-1", "surrounding whitespace (a pasted newline) is not part of the secret");
        assert!(!format!("{s:?}").contains("whsec"), "Debug must not show the secret");
    }
}
