//! Base library versions: the one place they are parsed and compared (by `--base-library`,
//! by the destination policy, and by the prelude's `wx.canIUse` and method table).

use std::fmt;
use std::str::FromStr;

/// A WeChat base library version such as `2.9.3`: one to three decimal parts, the
/// missing ones 0. Versions compare part by part, as numbers (`2.10` is after `2.9.9`).
///
/// # Examples
/// ```
/// use wxudp_js::BaseLibrary;
/// let old: BaseLibrary = "2.9.3".parse().unwrap();
/// assert!(old < "2.9.4".parse().unwrap());
/// assert!(old.at_least("2.9"));
/// assert_eq!(old.to_string(), "2.9.3");
/// assert!("2.x".parse::<BaseLibrary>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BaseLibrary([u32; 3]);

impl BaseLibrary {
    /// The version the runtime reports unless told otherwise: 3.0.0.
    ///
    /// # Examples
    /// ```
    /// use wxudp_js::{BaseLibrary, RunOptions};
    /// assert_eq!(BaseLibrary::DEFAULT.to_string(), "3.0.0");
    /// assert_eq!(RunOptions::default().base_library, BaseLibrary::DEFAULT);
    /// ```
    pub const DEFAULT: BaseLibrary = BaseLibrary([3, 0, 0]);

    /// Returns whether this version is `since` or later; a `since` that does not parse is
    /// never reached.
    ///
    /// # Examples
    /// ```
    /// use wxudp_js::BaseLibrary;
    /// let v: BaseLibrary = "2.10".parse().unwrap();
    /// assert!(v.at_least("2.9.4"), "numbers, not text");
    /// assert!(!v.at_least("2.10.1"));
    /// assert!(!v.at_least("not a version"));
    /// ```
    pub fn at_least(self, since: &str) -> bool {
        since.parse().is_ok_and(|since: BaseLibrary| self >= since)
    }
}

impl Default for BaseLibrary {
    fn default() -> Self {
        BaseLibrary::DEFAULT
    }
}

impl FromStr for BaseLibrary {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("{text:?} is not a base library version such as 2.9.3");
        let mut parts = [0u32; 3];
        for (i, part) in text.trim().split('.').enumerate() {
            let slot = parts.get_mut(i).ok_or_else(invalid)?;
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            *slot = part.parse().map_err(|_| invalid())?;
        }
        Ok(BaseLibrary(parts))
    }
}

impl fmt::Display for BaseLibrary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = self.0;
        write!(f, "{a}.{b}.{c}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_compare() {
        let v = |s: &str| s.parse::<BaseLibrary>().unwrap();
        assert_eq!(v("2"), v("2.0.0"));
        assert!(v("2.10") > v("2.9.9"), "numbers, not text");
        assert!(v("2.10").at_least("2.10.0"));
        assert!(!v("2.10").at_least("2.10.1"));
        assert!(!v("3.0.0").at_least("not a version"));
        for bad in ["", "2.", ".2", "2.9.3.1", "2.x", "-1", "99999999999.0"] {
            assert!(bad.parse::<BaseLibrary>().is_err(), "{bad}");
        }
    }
}
