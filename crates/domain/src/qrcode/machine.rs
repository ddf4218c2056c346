//! The QR-code login as a pure state machine.
//!
//! ```text
//!              scan(u)              confirm(u)            claim(c) (first check)
//!  unscanned ──────────► scanned(u) ───────────► confirmed(u) ───────────► claimed(u, c) ≡ expired
//!                            │
//!                            │ cancel(u)
//!                            ▼
//!                       cancelled(u)
//!
//!  any state ── deadline ──► expired (the record is gone from the store)
//! ```
//!
//! Repeating an action as the same user is a no-op (the state comes back unchanged);
//! the other action after confirm/cancel is a conflict; confirm/cancel by anyone but
//! the scanner is refused; a claimed code behaves as expired.

use super::{ClaimId, QrError, QrState, Scanner};
use crate::user::UserId;

/// Something that happens to a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrEvent {
    /// A logged-in phone scanned it.
    Scan(Scanner),
    /// The phone's user confirmed the login.
    Confirm(UserId),
    /// The phone's user cancelled it.
    Cancel(UserId),
    /// The PC's check saw `confirmed` and takes the login, under its own claim id.
    Claim(ClaimId),
    /// The deadline passed.
    Deadline,
}

/// The state after `event`, or why `event` is refused. An unchanged state means the
/// event repeated one already applied: a no-op, not an error.
///
/// # Errors
/// [`QrError::Conflict`], [`QrError::NotScanner`] or [`QrError::Expired`], by the table
/// in the module documentation.
pub fn transition(state: &QrState, event: &QrEvent) -> Result<QrState, QrError> {
    use QrEvent::{Cancel, Claim, Confirm, Deadline, Scan};
    use QrState::{Cancelled, Claimed, Confirmed, Scanned, Unscanned};

    let is_scanner = |scanner: &Scanner, user: &UserId| scanner.user_id == *user;
    match (state, event) {
        (_, Deadline) | (Claimed(..), _) => Err(QrError::Expired),

        (Unscanned, Scan(user)) => Ok(Scanned(user.clone())),
        (Scanned(scanner), Scan(user)) if scanner.user_id == user.user_id => Ok(state.clone()),
        (Scanned(_) | Confirmed(_) | Cancelled(_), Scan(_)) => Err(QrError::Conflict),

        (Unscanned, Confirm(_) | Cancel(_) | Claim(_)) => Err(QrError::Conflict),

        (
            Scanned(scanner) | Confirmed(scanner) | Cancelled(scanner),
            Confirm(user) | Cancel(user),
        ) if !is_scanner(scanner, user) => Err(QrError::NotScanner),
        (Scanned(scanner), Confirm(_)) => Ok(Confirmed(scanner.clone())),
        (Scanned(scanner), Cancel(_)) => Ok(Cancelled(scanner.clone())),
        (Confirmed(_), Confirm(_)) | (Cancelled(_), Cancel(_)) => Ok(state.clone()),
        (Confirmed(_), Cancel(_)) | (Cancelled(_), Confirm(_)) => Err(QrError::Conflict),

        (Confirmed(scanner), Claim(claim)) => Ok(Claimed(scanner.clone(), claim.clone())),
        (Scanned(_) | Cancelled(_), Claim(_)) => Err(QrError::Conflict),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::{Realname, Username};

    fn user(id: i64) -> Scanner {
        Scanner {
            user_id: UserId(id),
            username: Username::parse(&format!("user{id}")).expect("valid"),
            realname: Realname::parse(&format!("User {id}")).expect("valid"),
        }
    }

    /// What the table expects, written out for one (state, event) pair.
    #[derive(Debug, PartialEq)]
    enum Expect {
        To(QrState),
        NoOp,
        Conflict,
        NotScanner,
        Expired,
    }

    fn outcome(state: &QrState, event: &QrEvent) -> Expect {
        match transition(state, event) {
            Ok(next) if next == *state => Expect::NoOp,
            Ok(next) => Expect::To(next),
            Err(QrError::Conflict) => Expect::Conflict,
            Err(QrError::NotScanner) => Expect::NotScanner,
            Err(QrError::Expired) => Expect::Expired,
            Err(other) => panic!("transition never fails with {other:?}"),
        }
    }

    /// Every state crossed with every event, by the scanner (user 1) and by another
    /// user (user 2).
    #[test]
    fn the_full_transition_table() {
        use Expect::{Conflict, Expired, NoOp, NotScanner, To};
        use QrState::{Cancelled, Claimed, Confirmed, Scanned, Unscanned};
        let (me, other) = (user(1), user(2));
        let claim = ClaimId::from_stored("c1".to_owned());
        let events = [
            QrEvent::Scan(me.clone()),
            QrEvent::Scan(other.clone()),
            QrEvent::Confirm(me.user_id),
            QrEvent::Confirm(other.user_id),
            QrEvent::Cancel(me.user_id),
            QrEvent::Cancel(other.user_id),
            QrEvent::Claim(claim.clone()),
            QrEvent::Deadline,
        ];
        let table: Vec<(QrState, [Expect; 8])> = vec![
            (
                Unscanned,
                [
                    To(Scanned(me.clone())),
                    To(Scanned(other.clone())),
                    Conflict,
                    Conflict,
                    Conflict,
                    Conflict,
                    Conflict,
                    Expired,
                ],
            ),
            (
                Scanned(me.clone()),
                [
                    NoOp,
                    Conflict,
                    To(Confirmed(me.clone())),
                    NotScanner,
                    To(Cancelled(me.clone())),
                    NotScanner,
                    Conflict,
                    Expired,
                ],
            ),
            (
                Confirmed(me.clone()),
                [
                    Conflict,
                    Conflict,
                    NoOp,
                    NotScanner,
                    Conflict,
                    NotScanner,
                    To(Claimed(me.clone(), claim.clone())),
                    Expired,
                ],
            ),
            (
                Cancelled(me.clone()),
                [
                    Conflict, Conflict, Conflict, NotScanner, NoOp, NotScanner, Conflict, Expired,
                ],
            ),
            (
                Claimed(me.clone(), claim.clone()),
                [
                    Expired, Expired, Expired, Expired, Expired, Expired, Expired, Expired,
                ],
            ),
        ];
        for (state, expected) in table {
            for (event, expect) in events.iter().zip(expected) {
                assert_eq!(outcome(&state, event), expect, "{state:?} + {event:?}");
            }
        }
    }

    #[test]
    fn a_claimed_code_reads_as_expired() {
        assert_eq!(
            QrState::Claimed(user(1), ClaimId::generate()).status(),
            super::super::QrStatus::Expired
        );
    }
}
