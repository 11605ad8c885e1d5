//! How the desktop app starts WebKitGTK: environment defaults that its web
//! process reads at startup, for a board that stays open all day on kitchen
//! PCs, often without a GPU.
//!
//! Each default is set only when the variable is not already in the
//! environment, so any of them can be turned back from outside. Measured with
//! `scripts/measure-desktop` (README, "Resources").

/// Sets the defaults. Call first thing, before any window or thread exists.
pub fn set_defaults() {
    #[cfg(target_os = "linux")]
    for (name, value) in DEFAULTS {
        if std::env::var_os(name).is_none() {
            std::env::set_var(name, value);
        }
    }
}

/// The variables and their defaults.
#[cfg(target_os = "linux")]
const DEFAULTS: &[(&str, &str)] = &[
    // The board is a flat 2D page. Accelerated compositing costs about four
    // times the CPU where there is no GPU (under Xvfb: 17% vs 4% of a core
    // with 50 tickets), and is a known cause of blank windows with some
    // drivers. `WEBKIT_DISABLE_COMPOSITING_MODE=0` turns it back on.
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
    // JavaScriptCore's optimising tiers (DFG, FTL) compile hot code again at
    // a memory cost; the board's script is small and runs briefly (a timer
    // tick, an update), so the interpreter and the baseline JIT do it at the
    // same CPU. Saves about 15 MB with 50 tickets. Safe anywhere: it only
    // chooses which tiers run. `JSC_useDFGJIT=1 JSC_useFTLJIT=1` restores them.
    ("JSC_useDFGJIT", "0"),
    ("JSC_useFTLJIT", "0"),
];

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn sets_only_what_the_environment_leaves_unset() {
        // The only test in this binary that touches the environment.
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "0");
        std::env::remove_var("JSC_useDFGJIT");
        set_defaults();
        assert_eq!(std::env::var("WEBKIT_DISABLE_COMPOSITING_MODE").as_deref(), Ok("0"), "a value from outside wins");
        assert_eq!(std::env::var("JSC_useDFGJIT").as_deref(), Ok("0"), "an unset variable gets the default");
    }
}
