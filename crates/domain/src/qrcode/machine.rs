//! The QR-code login as a pure state machine.
//!
//! ```text
//!              scan(u, m)               confirm(u, m)          claim(c) (first check)
//!  unscanned ──────────► scanned(u, m) ──────────► confirmed(u) ──────────► claimed(u, c) ≡ expired
//!                         │    ▲    │
//!                         │    └────┘ confirm(u) with a wrong match code: one try fewer
//!                         │
//!                         │ cancel(u), or the last wrong match code
//!                         ▼
//!                    cancelled(u)
//!
//!  any state ── deadline ──► expired (the record is gone from the store)
//! ```
//!
//! `m` is the number-matching challenge a scan may carry: the two-digit code the PC
//! shows and the wrong tries left. Repeating an action as the same user is a no-op
//! (the state comes back unchanged); the other action after confirm/cancel is a
//! conflict; confirm/cancel by anyone but the scanner is refused; a claimed code
//! behaves as expired.

use super::{ClaimId, MatchChallenge, MatchCode, QrError, QrState, Scanner};
use crate::user::UserId;

/// Something that happens to a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrEvent {
    /// A logged-in phone scanned it; with a challenge when number matching applies.
    Scan(Scanner, Option<MatchChallenge>),
    /// The phone's user confirmed the login, with the match code they typed, if any.
    Confirm(UserId, Option<MatchCode>),
    /// The phone's user cancelled it.
    Cancel(UserId),
    /// The PC's check saw `confirmed` and takes the login, under its own claim id.
    Claim(ClaimId),
    /// The deadline passed.
    Deadline,
}

/// What an accepted event does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Store this state. The same state as before means the event repeated one
    /// already applied: a no-op.
    To(QrState),
    /// A confirm with a missing or wrong match code: store `then` (one try fewer, or
    /// `cancelled` after the last) and refuse the confirm with
    /// [`QrError::MatchCodeMismatch`] carrying `tries_left`. A missing code costs no try.
    WrongMatch {
        /// The state to store.
        then: QrState,
        /// Wrong tries left after this one (0: the code is cancelled).
        tries_left: u8,
    },
}

/// What `event` does to a code in `state`, or why it is refused.
///
/// # Errors
/// [`QrError::Conflict`], [`QrError::NotScanner`] or [`QrError::Expired`], by the table
/// in the module documentation.
pub fn transition(state: &QrState, event: &QrEvent) -> Result<Step, QrError> {
    use QrEvent::{Cancel, Claim, Confirm, Deadline, Scan};
    use QrState::{Cancelled, Claimed, Confirmed, Scanned, Unscanned};

    let is_scanner = |scanner: &Scanner, user: &UserId| scanner.user_id == *user;
    let to = |next: QrState| Ok(Step::To(next));
    match (state, event) {
        (_, Deadline) | (Claimed(..), _) => Err(QrError::Expired),

        (Unscanned, Scan(user, challenge)) => to(Scanned(user.clone(), *challenge)),
        (Scanned(scanner, _), Scan(user, _)) if scanner.user_id == user.user_id => {
            to(state.clone())
        }
        (Scanned(..) | Confirmed(_) | Cancelled(_), Scan(..)) => Err(QrError::Conflict),

        (Unscanned, Confirm(..) | Cancel(_) | Claim(_)) => Err(QrError::Conflict),

        (
            Scanned(scanner, _) | Confirmed(scanner) | Cancelled(scanner),
            Confirm(user, _) | Cancel(user),
        ) if !is_scanner(scanner, user) => Err(QrError::NotScanner),
        (Scanned(scanner, Some(challenge)), Confirm(_, given))
            if *given != Some(challenge.code) =>
        {
            Ok(wrong_match(scanner, *challenge, given.is_some()))
        }
        (Scanned(scanner, _), Confirm(..)) => to(Confirmed(scanner.clone())),
        (Scanned(scanner, _), Cancel(_)) => to(Cancelled(scanner.clone())),
        (Confirmed(_), Confirm(..)) | (Cancelled(_), Cancel(_)) => to(state.clone()),
        (Confirmed(_), Cancel(_)) | (Cancelled(_), Confirm(..)) => Err(QrError::Conflict),

        (Confirmed(scanner), Claim(claim)) => to(Claimed(scanner.clone(), claim.clone())),
        (Scanned(..) | Cancelled(_), Claim(_)) => Err(QrError::Conflict),
    }
}

/// A confirm whose match code is wrong (`counts`) or missing (free).
fn wrong_match(scanner: &Scanner, challenge: MatchChallenge, counts: bool) -> Step {
    let tries_left = if counts {
        challenge.tries_left.saturating_sub(1)
    } else {
        challenge.tries_left
    };
    let then = if tries_left == 0 {
        QrState::Cancelled(scanner.clone())
    } else {
        QrState::Scanned(
            scanner.clone(),
            Some(MatchChallenge {
                tries_left,
                ..challenge
            }),
        )
    };
    Step::WrongMatch { then, tries_left }
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

    fn code(value: u8) -> MatchCode {
        MatchCode::from_stored(value).expect("two digits")
    }

    fn challenge(tries_left: u8) -> MatchChallenge {
        MatchChallenge {
            code: code(42),
            tries_left,
        }
    }

    /// What the table expects, written out for one (state, event) pair.
    #[derive(Debug, PartialEq)]
    enum Expect {
        To(QrState),
        NoOp,
        WrongMatch(QrState, u8),
        Conflict,
        NotScanner,
        Expired,
    }

    fn outcome(state: &QrState, event: &QrEvent) -> Expect {
        match transition(state, event) {
            Ok(Step::To(next)) if next == *state => Expect::NoOp,
            Ok(Step::To(next)) => Expect::To(next),
            Ok(Step::WrongMatch { then, tries_left }) => Expect::WrongMatch(then, tries_left),
            Err(QrError::Conflict) => Expect::Conflict,
            Err(QrError::NotScanner) => Expect::NotScanner,
            Err(QrError::Expired) => Expect::Expired,
            Err(other) => panic!("transition never fails with {other:?}"),
        }
    }

    /// Every state crossed with every event, by the scanner (user 1) and by another
    /// user (user 2), with and without number matching.
    #[test]
    fn the_full_transition_table() {
        use Expect::{Conflict, Expired, NoOp, NotScanner, To, WrongMatch};
        use QrState::{Cancelled, Claimed, Confirmed, Scanned, Unscanned};
        let (me, other) = (user(1), user(2));
        let claim = ClaimId::from_stored("c1".to_owned());
        let (right, wrong) = (Some(code(42)), Some(code(41)));
        let events = [
            QrEvent::Scan(me.clone(), None),
            QrEvent::Scan(me.clone(), Some(challenge(3))),
            QrEvent::Scan(other.clone(), None),
            QrEvent::Confirm(me.user_id, None),
            QrEvent::Confirm(me.user_id, right),
            QrEvent::Confirm(me.user_id, wrong),
            QrEvent::Confirm(other.user_id, right),
            QrEvent::Cancel(me.user_id),
            QrEvent::Cancel(other.user_id),
            QrEvent::Claim(claim.clone()),
            QrEvent::Deadline,
        ];
        let confirmed = || To(Confirmed(me.clone()));
        let cancelled = || To(Cancelled(me.clone()));
        let matching = |tries| Scanned(me.clone(), Some(challenge(tries)));
        let table: Vec<(QrState, [Expect; 11])> = vec![
            (
                Unscanned,
                [
                    To(Scanned(me.clone(), None)),
                    To(matching(3)),
                    To(Scanned(other.clone(), None)),
                    Conflict,
                    Conflict,
                    Conflict,
                    Conflict,
                    Conflict,
                    Conflict,
                    Conflict,
                    Expired,
                ],
            ),
            (
                Scanned(me.clone(), None),
                [
                    NoOp,
                    NoOp,
                    Conflict,
                    confirmed(),
                    confirmed(),
                    confirmed(),
                    NotScanner,
                    cancelled(),
                    NotScanner,
                    Conflict,
                    Expired,
                ],
            ),
            (
                matching(3),
                [
                    NoOp,
                    NoOp,
                    Conflict,
                    WrongMatch(matching(3), 3),
                    confirmed(),
                    WrongMatch(matching(2), 2),
                    NotScanner,
                    cancelled(),
                    NotScanner,
                    Conflict,
                    Expired,
                ],
            ),
            (
                matching(1),
                [
                    NoOp,
                    NoOp,
                    Conflict,
                    WrongMatch(matching(1), 1),
                    confirmed(),
                    WrongMatch(Cancelled(me.clone()), 0),
                    NotScanner,
                    cancelled(),
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
                    Conflict,
                    NoOp,
                    NoOp,
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
                    Conflict, Conflict, Conflict, Conflict, Conflict, Conflict, NotScanner, NoOp,
                    NotScanner, Conflict, Expired,
                ],
            ),
            (
                Claimed(me.clone(), claim.clone()),
                [
                    Expired, Expired, Expired, Expired, Expired, Expired, Expired, Expired,
                    Expired, Expired, Expired,
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
    fn the_third_wrong_match_code_cancels_the_login() {
        let me = user(1);
        let mut state = QrState::Scanned(me.clone(), Some(MatchChallenge::generate()));
        let QrState::Scanned(_, Some(challenge)) = &state else {
            unreachable!("just built")
        };
        let wrong = code((challenge.code.value() + 1) % 100);
        let mut left = Vec::new();
        for _ in 0..MatchChallenge::TRIES {
            match transition(&state, &QrEvent::Confirm(me.user_id, Some(wrong))) {
                Ok(Step::WrongMatch { then, tries_left }) => {
                    left.push(tries_left);
                    state = then;
                }
                other => panic!("a wrong code is refused, not {other:?}"),
            }
        }
        assert_eq!(left, [2, 1, 0]);
        assert_eq!(state, QrState::Cancelled(me));
    }

    #[test]
    fn a_claimed_code_reads_as_expired() {
        assert_eq!(
            QrState::Claimed(user(1), ClaimId::generate()).status(),
            super::super::QrStatus::Expired
        );
    }
}
