//! Ticket links in REST 1.0: `ticket/<id>/links/show` lists them by relation, in each
//! direction; `ticket/link` adds one.

use super::form::{split_values, Form};

/// A link relation, seen from the ticket whose links are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinkType {
    /// This ticket depends on the other.
    DependsOn,
    /// The other ticket depends on this one.
    DependedOnBy,
    /// This ticket refers to the other.
    RefersTo,
    /// The other ticket refers to this one.
    ReferredToBy,
    /// This ticket is a member (child) of the other.
    MemberOf,
    /// The other ticket is a member of this one (RT's `Members`, `HasMember` when adding).
    Members,
}

impl LinkType {
    /// Every relation.
    pub const ALL: [LinkType; 6] = [
        LinkType::DependsOn,
        LinkType::DependedOnBy,
        LinkType::RefersTo,
        LinkType::ReferredToBy,
        LinkType::MemberOf,
        LinkType::Members,
    ];

    /// The field name in `links/show`.
    pub fn field(self) -> &'static str {
        match self {
            LinkType::DependsOn => "DependsOn",
            LinkType::DependedOnBy => "DependedOnBy",
            LinkType::RefersTo => "RefersTo",
            LinkType::ReferredToBy => "ReferredToBy",
            LinkType::MemberOf => "MemberOf",
            LinkType::Members => "Members",
        }
    }

    /// The `rel` value of `ticket/link`.
    pub fn rel(self) -> &'static str {
        match self {
            LinkType::Members => "HasMember",
            other => other.field(),
        }
    }

    /// The same link seen from the other ticket.
    pub fn reverse(self) -> LinkType {
        match self {
            LinkType::DependsOn => LinkType::DependedOnBy,
            LinkType::DependedOnBy => LinkType::DependsOn,
            LinkType::RefersTo => LinkType::ReferredToBy,
            LinkType::ReferredToBy => LinkType::RefersTo,
            LinkType::MemberOf => LinkType::Members,
            LinkType::Members => LinkType::MemberOf,
        }
    }

    fn from_field(name: &str) -> Option<LinkType> {
        LinkType::ALL
            .into_iter()
            .find(|t| t.field().eq_ignore_ascii_case(name))
    }
}

/// One link of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The relation.
    pub kind: LinkType,
    /// The other end as RT names it (`fsck.com-rt://<rtname>/ticket/<id>`, or any URI).
    pub uri: String,
}

impl Link {
    /// The other ticket's id when the other end is a ticket of the RT named `rtname`.
    pub fn ticket(&self, rtname: &str) -> Option<u64> {
        let (name, id) = ticket_uri(&self.uri)?;
        name.eq_ignore_ascii_case(rtname).then_some(id)
    }

    /// The other ticket's id and its RT's name, when the other end is an RT ticket.
    pub fn any_ticket(&self) -> Option<(&str, u64)> {
        ticket_uri(&self.uri)
    }
}

/// `fsck.com-rt://<rtname>/ticket/<id>` -> (rtname, id).
fn ticket_uri(uri: &str) -> Option<(&str, u64)> {
    let rest = uri.strip_prefix("fsck.com-rt://")?;
    let (name, id) = rest.rsplit_once("/ticket/")?;
    Some((name, id.parse().ok()?))
}

/// The links of a `links/show` form, in RT's order.
pub fn parse_links(form: &Form) -> Vec<Link> {
    let mut out = Vec::new();
    for (k, v) in &form.fields {
        let Some(kind) = LinkType::from_field(k) else {
            continue;
        };
        for uri in split_values(v) {
            if !uri.is_empty() {
                out.push(Link { kind, uri });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::form::{parse_forms, Keys};
    use super::*;

    #[test]
    fn links_of_both_directions_and_wrapped_lists() {
        let text = "id: ticket/1/links\nDependsOn: fsck.com-rt://rt.test/ticket/2\nReferredToBy: fsck.com-rt://rt.test/ticket/3,\n              fsck.com-rt://other.example/ticket/9,\n              https://example.com/x\nMembers: fsck.com-rt://rt.test/ticket/4\n";
        let f = &parse_forms(text, Keys::Any)[0];
        let links = parse_links(f);
        let got: Vec<(LinkType, Option<u64>)> = links
            .iter()
            .map(|l| (l.kind, l.ticket("rt.test")))
            .collect();
        assert_eq!(
            got,
            [
                (LinkType::DependsOn, Some(2)),
                (LinkType::ReferredToBy, Some(3)),
                (LinkType::ReferredToBy, None),
                (LinkType::ReferredToBy, None),
                (LinkType::Members, Some(4)),
            ]
        );
        assert_eq!(links[2].any_ticket(), Some(("other.example", 9)));
        assert_eq!(LinkType::Members.rel(), "HasMember");
        for t in LinkType::ALL {
            assert_eq!(t.reverse().reverse(), t);
        }
    }
}
