//! The board's own settings (`[board]` in `config.toml`): timer thresholds
//! and the chime.
//!
//! It owns their defaults and validation. It never reads or writes the file
//! (that is `file`).

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// The board's own settings, kept in `config.toml` under `[board]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoardSettings {
    /// The ticket timer turns amber after this many minutes.
    pub warn_after_minutes: u32,
    /// The ticket timer turns red after this many minutes.
    pub late_after_minutes: u32,
    /// Chime on a new order.
    pub chime: bool,
    /// Repeat the chime until someone touches the screen.
    pub chime_repeat: bool,
}

impl Default for BoardSettings {
    fn default() -> Self {
        BoardSettings { warn_after_minutes: 5, late_after_minutes: 10, chime: true, chime_repeat: false }
    }
}

impl BoardSettings {
    /// Checks the thresholds make sense; names the problem when they do not.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid { name: "board timer thresholds", reason };
        if !(1..=240).contains(&self.warn_after_minutes) || !(1..=240).contains(&self.late_after_minutes) {
            return Err(invalid("minutes must be between 1 and 240".into()));
        }
        if self.late_after_minutes <= self.warn_after_minutes {
            return Err(invalid(format!(
                "the red threshold ({} min) must come after the amber one ({} min)",
                self.late_after_minutes, self.warn_after_minutes
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_thresholds_must_be_ordered_and_bounded() {
        assert!(BoardSettings::default().validate().is_ok());
        let bad = BoardSettings { warn_after_minutes: 10, late_after_minutes: 5, ..Default::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("must come after"));
        assert!(BoardSettings { warn_after_minutes: 0, ..Default::default() }.validate().is_err());
    }
}
