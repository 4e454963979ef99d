//! The TIE file reputation-change event payload (research/dxl-tie.md §5.1) and the filter of
//! the "... Reputations" options.
//!
//! Parsing borrows from the payload and keeps only what the listener uses: the hashes (still
//! base64 until [`RepChange::digests`] is called), per provider the `trustLevel`,
//! `createDate` and the Enterprise FIRST_CONTACT and PREVALENCE attributes, `props.serverTime`
//! and `updateTime`. Unknown keys, unknown attribute ids and unknown providers are ignored, as
//! real TIE payloads carry more than the SDK documents.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use crate::providers::{Provider, ENTERPRISE_FIRST_CONTACT, ENTERPRISE_PREVALENCE};
use crate::trust_levels::{AtdScale, LevelSet, TrustLevel};

/// The topic TIE broadcasts file reputation changes on.
pub const TOPIC_FILE_REPCHANGE: &str = "/mcafee/event/tie/file/repchange/broadcast";

/// Why a payload could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// Not JSON of the reputation-change shape; the text is serde_json's, with line and column.
    Json(String),
    /// A hash whose value is not base64 of a digest of its type's length.
    BadHash { kind: String, reason: &'static str },
    /// No md5, sha1 or sha256 hash at all.
    NoHashes,
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::Json(e) => write!(f, "reputation-change payload is not valid: {e}"),
            PayloadError::BadHash { kind, reason } => {
                write!(f, "reputation-change hash {kind:?}: {reason}")
            }
            PayloadError::NoHashes => write!(
                f,
                "reputation-change payload has no md5, sha1 or sha256 hash"
            ),
        }
    }
}

impl std::error::Error for PayloadError {}

/// One `{type, value}` entry of `hashes`, value still base64.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WireHash<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Cow<'a, str>,
    #[serde(borrow)]
    pub value: Cow<'a, str>,
}

/// One provider's reputation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Reputation<'a> {
    #[serde(rename = "providerId")]
    pub provider_id: i64,
    #[serde(rename = "trustLevel")]
    pub trust_level: i64,
    #[serde(rename = "createDate", default)]
    pub create_date: Option<i64>,
    #[serde(borrow, default)]
    pub attributes: Attributes<'a>,
}

/// The attributes the listener uses, picked out of the `attributes` object by numeric id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attributes<'a> {
    /// 2102165 (Enterprise FIRST_CONTACT), epoch seconds as text.
    pub first_contact: Option<Cow<'a, str>>,
    /// 2101652 (Enterprise PREVALENCE), a count as text.
    pub prevalence: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Reputations<'a> {
    #[serde(borrow, default)]
    pub reputations: Vec<Reputation<'a>>,
    #[serde(default)]
    pub props: Props,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub struct Props {
    #[serde(rename = "serverTime", default)]
    pub server_time: Option<i64>,
}

/// A decoded reputation-change event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RepChange<'a> {
    #[serde(borrow, default)]
    pub hashes: Vec<WireHash<'a>>,
    #[serde(rename = "newReputations", borrow, default)]
    pub new_reputations: Reputations<'a>,
    #[serde(rename = "oldReputations", borrow, default)]
    pub old_reputations: Reputations<'a>,
    #[serde(rename = "updateTime", default)]
    pub update_time: Option<i64>,
}

/// The file's digests as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Digests {
    pub md5: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
}

impl<'a> RepChange<'a> {
    pub fn parse(payload: &'a [u8]) -> Result<RepChange<'a>, PayloadError> {
        serde_json::from_slice(payload).map_err(|e| PayloadError::Json(e.to_string()))
    }

    /// The new reputation of a provider, if the event carries one.
    pub fn new_reputation(&self, p: Provider) -> Option<&Reputation<'a>> {
        self.new_reputations
            .reputations
            .iter()
            .find(|r| r.provider_id == p.id())
    }

    pub fn old_reputation(&self, p: Provider) -> Option<&Reputation<'a>> {
        self.old_reputations
            .reputations
            .iter()
            .find(|r| r.provider_id == p.id())
    }

    /// Decodes the base64 hashes into lowercase hex. Hash types other than md5, sha1 and sha256
    /// are ignored; a known type whose value is not base64 of the right length is an error.
    pub fn digests(&self) -> Result<Digests, PayloadError> {
        let mut d = Digests::default();
        for h in &self.hashes {
            let (slot, len) = if h.kind.eq_ignore_ascii_case("md5") {
                (&mut d.md5, 16)
            } else if h.kind.eq_ignore_ascii_case("sha1") {
                (&mut d.sha1, 20)
            } else if h.kind.eq_ignore_ascii_case("sha256") {
                (&mut d.sha256, 32)
            } else {
                continue;
            };
            let bytes = base64_decode(&h.value).ok_or_else(|| PayloadError::BadHash {
                kind: h.kind.to_string(),
                reason: "value is not base64",
            })?;
            if bytes.len() != len {
                return Err(PayloadError::BadHash {
                    kind: h.kind.to_string(),
                    reason: "decoded digest has the wrong length for its type",
                });
            }
            *slot = Some(hex(&bytes));
        }
        if d.md5.is_none() && d.sha1.is_none() && d.sha256.is_none() {
            return Err(PayloadError::NoHashes);
        }
        Ok(d)
    }
}

/// The "Enterprise/GTI/Advanced Threat Defense Reputations" options and `use_tie_211_mapping`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    pub enterprise: LevelSet,
    pub gti: LevelSet,
    pub atd: LevelSet,
    pub atd_scale: AtdScale,
}

impl Default for Filter {
    /// The guide's defaults: the three malicious levels for every provider, TIE 2.1.1+ mapping.
    fn default() -> Self {
        Filter {
            enterprise: LevelSet::default_malicious(),
            gti: LevelSet::default_malicious(),
            atd: LevelSet::default_malicious(),
            atd_scale: AtdScale::Tie211,
        }
    }
}

impl Filter {
    pub fn set(&self, p: Provider) -> LevelSet {
        match p {
            Provider::Gti => self.gti,
            Provider::Enterprise => self.enterprise,
            Provider::Atd => self.atd,
        }
    }

    /// The trust level of every mapped provider in the new reputations, in the event's order.
    /// A `trustLevel` outside the provider's scale yields no level.
    pub fn levels<'c>(
        &'c self,
        rc: &'c RepChange<'_>,
    ) -> impl Iterator<Item = (Provider, TrustLevel)> + 'c {
        rc.new_reputations.reputations.iter().filter_map(|r| {
            let p = Provider::from_id(r.provider_id)?;
            Some((p, p.level(r.trust_level, self.atd_scale)?))
        })
    }

    /// An event is accepted when the new reputation of at least one provider has a level that
    /// the provider's option lists.
    pub fn accepts(&self, rc: &RepChange<'_>) -> bool {
        self.levels(rc).any(|(p, l)| self.set(p).contains(l))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Attributes<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Attributes<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of attribute id to value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Attributes::default())
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
                let mut a = Attributes::default();
                // Keys borrow from the payload unless they contain escapes (Scalar).
                while let Some(Scalar(k)) = m.next_key::<Scalar<'de>>()? {
                    let k = k.unwrap_or_default();
                    if k == ENTERPRISE_FIRST_CONTACT {
                        a.first_contact = m.next_value::<Scalar<'a>>()?.0;
                    } else if k == ENTERPRISE_PREVALENCE {
                        a.prevalence = m.next_value::<Scalar<'a>>()?.0;
                    } else {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(a)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// An attribute value: TIE sends strings, but a number is taken as its decimal text and null
/// as absent.
struct Scalar<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Scalar<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Scalar(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// Standard base64 (RFC 4648 §4), padding optional, no whitespace.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine as _;
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    ENGINE.decode(s).ok()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_vectors() {
        assert_eq!(base64_decode("").as_deref(), Some(&b""[..]));
        assert_eq!(base64_decode("Zg==").as_deref(), Some(&b"f"[..]));
        assert_eq!(base64_decode("Zm8=").as_deref(), Some(&b"fo"[..]));
        assert_eq!(base64_decode("Zm9v").as_deref(), Some(&b"foo"[..]));
        assert_eq!(base64_decode("Zm9vYg").as_deref(), Some(&b"foob"[..]));
        assert_eq!(base64_decode("Zm9v!").as_deref(), None);
        assert_eq!(base64_decode("Z").as_deref(), None);
        assert_eq!(
            hex(&base64_decode("RNiGEv6oqPNt6C4SeKuwLw==").expect("b64")),
            "44d88612fea8a8f36de82e1278abb02f"
        );
    }

    #[test]
    fn lenient_shapes() {
        // Unknown keys, unknown providers, numeric attribute values, null attributes.
        let rc = RepChange::parse(
            br#"{"hashes":[{"type":"MD5","value":"RNiGEv6oqPNt6C4SeKuwLw=="},{"type":"crc","value":"x"}],
                "newReputations":{"reputations":[{"providerId":3,"trustLevel":15,
                  "attributes":{"2102165":1451504331,"2101652":"7","2098277":{"deep":[1]}}},
                  {"providerId":15,"trustLevel":1,"attributes":null}]},
                "future":{"x":1}}"#,
        )
        .expect("parses");
        let ent = rc.new_reputation(Provider::Enterprise).expect("enterprise");
        assert_eq!(ent.attributes.first_contact.as_deref(), Some("1451504331"));
        assert_eq!(ent.attributes.prevalence.as_deref(), Some("7"));
        assert_eq!(rc.old_reputations.reputations.len(), 0);
        let d = rc.digests().expect("digests");
        assert_eq!(d.md5.as_deref(), Some("44d88612fea8a8f36de82e1278abb02f"));
        assert!(Filter::default().accepts(&rc));
    }

    #[test]
    fn bad_payloads_are_errors() {
        assert!(matches!(
            RepChange::parse(b"not json"),
            Err(PayloadError::Json(_))
        ));
        assert!(matches!(
            RepChange::parse(br#"{"newReputations":{"reputations":[{"providerId":"x"}]}}"#),
            Err(PayloadError::Json(_))
        ));
        let rc =
            RepChange::parse(br#"{"hashes":[{"type":"md5","value":"Zm9v"}]}"#).expect("parses");
        assert!(matches!(rc.digests(), Err(PayloadError::BadHash { .. })));
        let rc = RepChange::parse(br#"{"hashes":[]}"#).expect("parses");
        assert_eq!(rc.digests(), Err(PayloadError::NoHashes));
    }
}
