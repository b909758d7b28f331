//! The examiner's time zone (`--timezone`): UTC, a fixed offset (`+02:00`), or an IANA name
//! (`Europe/Berlin`) looked up in the time zone database compiled into chatcarve (jiff's bundled
//! tzdb), so that the same report renders the same times on every machine, whatever its
//! `/usr/share/zoneinfo` holds. An IANA zone follows daylight saving time; a fixed offset does not.

use jiff::tz::{Offset, TimeZone};
use jiff::Timestamp;

/// A time zone with the name the examiner gave it.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Default for Zone {
    fn default() -> Self {
        Self { name: "UTC".to_owned(), tz: TimeZone::UTC }
    }
}

impl Zone {
    /// Parses `UTC` (or `Z`), a fixed offset `+HH:MM`, `-HH:MM`, `+HHMM` or `+HH`, or an IANA
    /// time zone name. `None` when it is none of these.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("utc") || s == "Z" {
            return Some(Self::default());
        }
        if let Some(seconds) = fixed_offset_seconds(s) {
            let offset = Offset::from_seconds(seconds).ok()?;
            let sign = if seconds < 0 { '-' } else { '+' };
            let (h, m) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
            return Some(Self { name: format!("{sign}{h:02}:{m:02}"), tz: TimeZone::fixed(offset) });
        }
        let tz = TimeZone::get(s).ok()?;
        let name = tz.iana_name().unwrap_or(s).to_owned();
        Some(Self { name, tz })
    }

    /// The offset from UTC at `ms` (milliseconds since the Unix epoch), in seconds east.
    pub fn offset_seconds_at(&self, ms: i64) -> Option<i32> {
        Timestamp::from_millisecond(ms).ok().map(|ts| self.tz.to_offset(ts).seconds())
    }

    /// The offsets in force from `from_ms` to `to_ms`: `(since_ms, offset_minutes)` pairs, the
    /// first at `from_ms`, then one per transition (daylight saving time), at most `max`.
    pub fn offsets_between(&self, from_ms: i64, to_ms: i64, max: usize) -> Vec<(i64, i32)> {
        let Some(first) = self.offset_seconds_at(from_ms) else { return Vec::new() };
        let mut out = vec![(from_ms, first / 60)];
        let Ok(from) = Timestamp::from_millisecond(from_ms) else { return out };
        for t in self.tz.following(from) {
            let at = t.timestamp().as_millisecond();
            if at > to_ms || out.len() >= max {
                break;
            }
            out.push((at, t.offset().seconds() / 60));
        }
        out
    }

    /// The name as shown in every format: `UTC`, `+02:00` or the IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `ms` (milliseconds since the Unix epoch) as ISO 8601 / RFC 3339 in this zone, with the
    /// offset and milliseconds: `2020-09-13T14:27:40.000+02:00`. `None` outside the years
    /// −9999 … 9999.
    pub fn format_ms(&self, ms: i64) -> Option<String> {
        let ts = Timestamp::from_millisecond(ms).ok()?;
        let offset = self.tz.to_offset(ts);
        let dt = offset.to_datetime(ts);
        let secs = offset.seconds();
        let sign = if secs < 0 { '-' } else { '+' };
        let (h, m) = (secs.abs() / 3600, secs.abs() % 3600 / 60);
        let year = i32::from(dt.year());
        if !(0..=9999).contains(&year) {
            return None;
        }
        Some(format!(
            "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{sign}{h:02}:{m:02}",
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.millisecond()
        ))
    }
}

/// `+HH:MM`, `-HH:MM`, `+HHMM`, `+HH` → seconds east of UTC (up to ±25:59).
fn fixed_offset_seconds(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, s.get(1..)?),
        b'-' => (-1, s.get(1..)?),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || rest.matches(':').count() > 1 {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (digits.get(..2)?.parse::<i32>().ok()?, digits.get(2..)?.parse::<i32>().ok()?),
        _ => return None,
    };
    if h > 25 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_offsets_and_daylight_saving() {
        let utc = Zone::default();
        assert_eq!(utc.name(), "UTC");
        assert_eq!(utc.format_ms(1_600_000_060_000).as_deref(), Some("2020-09-13T12:27:40.000+00:00"));
        let fixed = Zone::parse("+0530").unwrap();
        assert_eq!(fixed.name(), "+05:30");
        assert_eq!(fixed.format_ms(1_600_000_060_123).as_deref(), Some("2020-09-13T17:57:40.123+05:30"));
        assert_eq!(Zone::parse("-3").unwrap().name(), "-03:00");
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        assert_eq!(berlin.name(), "Europe/Berlin");
        // Summer time in September, standard time in January.
        assert_eq!(berlin.format_ms(1_600_000_060_000).as_deref(), Some("2020-09-13T14:27:40.000+02:00"));
        assert_eq!(berlin.format_ms(1_578_000_000_000).as_deref(), Some("2020-01-02T22:20:00.000+01:00"));
        assert_eq!(utc.format_ms(-1).as_deref(), Some("1969-12-31T23:59:59.999+00:00"));
        assert!(Zone::parse("Mars/Olympus").is_none());
        assert!(Zone::parse("+26:00").is_none());
        assert!(Zone::parse("+1:2:3").is_none());
        assert!(utc.format_ms(i64::MAX).is_none());
    }
}
