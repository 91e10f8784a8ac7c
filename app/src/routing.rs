//! Live chat workflow rules and the queue: where a new chat goes and whom it is offered to.
//!
//! Pure, like the chat rules: the server feeds in the chats, the rules and the staff's presence,
//! and stores what comes out.

use crate::model::ChatId;
use crate::rules::{Millis, StaffId};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Condition {
    /// The department chosen in the pre-chat form is this one.
    DepartmentIs(i64),
    DepartmentIsNot(i64),
    /// The question contains every one of these words (case-insensitive).
    QuestionContains(String),
    /// The visitor's email ends with this domain (`example.com` matches `a@example.com` and
    /// `a@mail.example.com`).
    EmailEndsWith(String),
    /// The address of the page that hosts the widget contains this text.
    PageUrlContains(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Matching {
    All,
    Any,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    RouteToDepartment(i64),
    RouteToStaff(StaffId),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: i64,
    pub name: String,
    /// Rules are tried in ascending position.
    pub position: i64,
    pub enabled: bool,
    pub matching: Matching,
    pub conditions: Vec<Condition>,
    pub action: Action,
}

/// Where a chat waits and who may pick it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Route {
    Everyone,
    Department(i64),
    Staff(StaffId),
}

/// What the rules look at.
pub struct Facts<'a> {
    pub department: Option<i64>,
    pub question: &'a str,
    pub email: &'a str,
    pub page_url: Option<&'a str>,
}

impl Condition {
    pub fn holds(&self, f: &Facts) -> bool {
        match self {
            Condition::DepartmentIs(d) => f.department == Some(*d),
            Condition::DepartmentIsNot(d) => f.department != Some(*d),
            Condition::QuestionContains(words) => {
                let question = f.question.to_lowercase();
                let mut words = words.split_whitespace().peekable();
                words.peek().is_some() && words.all(|w| question.contains(&w.to_lowercase()))
            }
            Condition::EmailEndsWith(domain) => {
                let domain = domain.trim().trim_start_matches('@').to_lowercase();
                let email = f.email.to_lowercase();
                !domain.is_empty()
                    && email.rsplit_once('@').is_some_and(|(_, host)| {
                        host == domain || host.ends_with(&format!(".{domain}"))
                    })
            }
            Condition::PageUrlContains(text) => {
                !text.is_empty()
                    && f.page_url
                        .is_some_and(|u| u.to_lowercase().contains(&text.to_lowercase()))
            }
        }
    }
}

impl Rule {
    pub fn matches(&self, f: &Facts) -> bool {
        if !self.enabled || self.conditions.is_empty() {
            return false;
        }
        match self.matching {
            Matching::All => self.conditions.iter().all(|c| c.holds(f)),
            Matching::Any => self.conditions.iter().any(|c| c.holds(f)),
        }
    }
}

/// The first enabled rule that matches decides; otherwise the department the visitor chose, or
/// everyone.
pub fn route(rules: &[Rule], facts: &Facts) -> Route {
    let mut ordered: Vec<&Rule> = rules.iter().collect();
    ordered.sort_by_key(|r| (r.position, r.id));
    match ordered
        .into_iter()
        .find(|r| r.matches(facts))
        .map(|r| r.action)
    {
        Some(Action::RouteToDepartment(d)) => Route::Department(d),
        Some(Action::RouteToStaff(s)) => Route::Staff(s),
        None => facts.department.map_or(Route::Everyone, Route::Department),
    }
}

/// A staff member as the queue sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffLoad {
    pub id: StaffId,
    pub departments: Vec<i64>,
    pub is_admin: bool,
    /// Online and available for new chats.
    pub available: bool,
    /// Chats they own or take part in now.
    pub active_chats: usize,
}

impl StaffLoad {
    /// Whether a chat on this route may be offered to this staff member.
    pub fn serves(&self, route: Route) -> bool {
        match route {
            Route::Everyone => true,
            Route::Department(d) => self.departments.contains(&d),
            Route::Staff(s) => self.id == s,
        }
    }
}

/// Whether a staff member sees a waiting chat on this route (and may accept it): those it can be
/// offered to, admins, and for a chat meant for one person, that person's departments too.
pub fn visible_to(route: Route, viewer: &StaffLoad, all: &[StaffLoad]) -> bool {
    if viewer.is_admin || viewer.serves(route) {
        return true;
    }
    match route {
        Route::Staff(s) => all.iter().find(|x| x.id == s).is_some_and(|target| {
            target
                .departments
                .iter()
                .any(|d| viewer.departments.contains(d))
        }),
        _ => false,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub chat: ChatId,
    pub route: Route,
    pub created_at: Millis,
    pub offered_to: Option<StaffId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub chat: ChatId,
    /// 1 for the next chat to be picked up on its route.
    pub position: u32,
    pub offered_to: Option<StaffId>,
}

/// Orders each route's queue by arrival and offers every waiting chat to an available staff member
/// who serves its route, the least busy first (offers count as load). A standing offer is kept
/// while its staff member stays available, so chats do not hop between people.
pub fn dispatch(waiting: &[Waiting], staff: &[StaffLoad]) -> Vec<Placement> {
    let mut queue: Vec<&Waiting> = waiting.iter().collect();
    queue.sort_by_key(|w| (w.created_at, w.chat));
    let mut load: Vec<(StaffId, usize)> = staff.iter().map(|s| (s.id, s.active_chats)).collect();
    let available = |id: StaffId, route: Route| {
        staff
            .iter()
            .any(|s| s.id == id && s.available && s.serves(route))
    };
    // Standing offers first, so they count as load before new offers are made.
    for w in &queue {
        if let Some(id) = w.offered_to.filter(|id| available(*id, w.route)) {
            if let Some(l) = load.iter_mut().find(|(s, _)| *s == id) {
                l.1 += 1;
            }
        }
    }
    let mut positions: Vec<(Route, u32)> = Vec::new();
    let mut out = Vec::with_capacity(queue.len());
    for w in queue {
        let position = match positions.iter_mut().find(|(r, _)| *r == w.route) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                positions.push((w.route, 1));
                1
            }
        };
        let offered_to = match w.offered_to.filter(|id| available(*id, w.route)) {
            Some(id) => Some(id),
            None => {
                let pick = load
                    .iter_mut()
                    .filter(|(id, _)| available(*id, w.route))
                    .min_by_key(|(id, n)| (*n, *id));
                pick.map(|(id, n)| {
                    *n += 1;
                    *id
                })
            }
        };
        out.push(Placement {
            chat: w.chat,
            position,
            offered_to,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(department: Option<i64>, question: &'a str, email: &'a str) -> Facts<'a> {
        Facts {
            department,
            question,
            email,
            page_url: Some("https://shop.example.com/checkout"),
        }
    }

    fn rule(
        id: i64,
        position: i64,
        matching: Matching,
        conditions: Vec<Condition>,
        action: Action,
    ) -> Rule {
        Rule {
            id,
            name: format!("rule {id}"),
            position,
            enabled: true,
            matching,
            conditions,
            action,
        }
    }

    #[test]
    fn conditions() {
        let f = facts(Some(1), "My Invoice is wrong", "ann@Mail.Example.com");
        assert!(Condition::DepartmentIs(1).holds(&f));
        assert!(!Condition::DepartmentIs(2).holds(&f));
        assert!(Condition::DepartmentIsNot(2).holds(&f));
        assert!(Condition::QuestionContains("invoice WRONG".into()).holds(&f));
        assert!(!Condition::QuestionContains("invoice refund".into()).holds(&f));
        assert!(!Condition::QuestionContains("  ".into()).holds(&f));
        assert!(Condition::EmailEndsWith("example.com".into()).holds(&f));
        assert!(Condition::EmailEndsWith("@mail.example.com".into()).holds(&f));
        assert!(!Condition::EmailEndsWith("ample.com".into()).holds(&f));
        assert!(Condition::PageUrlContains("/checkout".into()).holds(&f));
        assert!(!Condition::PageUrlContains("/cart".into()).holds(&f));
    }

    #[test]
    fn first_enabled_match_by_position_wins() {
        let f = facts(Some(1), "refund please", "bob@corp.io");
        let mut rules = vec![
            rule(
                1,
                20,
                Matching::All,
                vec![Condition::QuestionContains("refund".into())],
                Action::RouteToDepartment(7),
            ),
            rule(
                2,
                10,
                Matching::Any,
                vec![
                    Condition::EmailEndsWith("nope.io".into()),
                    Condition::EmailEndsWith("corp.io".into()),
                ],
                Action::RouteToStaff(42),
            ),
        ];
        assert_eq!(route(&rules, &f), Route::Staff(42));
        rules[1].enabled = false;
        assert_eq!(route(&rules, &f), Route::Department(7));
        rules[0].conditions.push(Condition::DepartmentIs(3));
        assert_eq!(
            route(&rules, &f),
            Route::Department(1),
            "falls back to the chosen department"
        );
        assert_eq!(route(&rules, &facts(None, "x", "a@b.co")), Route::Everyone);
    }

    fn staff(id: StaffId, departments: &[i64], available: bool, active_chats: usize) -> StaffLoad {
        StaffLoad {
            id,
            departments: departments.to_vec(),
            is_admin: false,
            available,
            active_chats,
        }
    }

    fn waiting(
        chat: ChatId,
        route: Route,
        created_at: Millis,
        offered_to: Option<StaffId>,
    ) -> Waiting {
        Waiting {
            chat,
            route,
            created_at,
            offered_to,
        }
    }

    #[test]
    fn offers_go_to_the_least_busy_available_member_of_the_route() {
        let team = [
            staff(1, &[10], true, 2),
            staff(2, &[10], true, 0),
            staff(3, &[20], true, 0),
            staff(4, &[10], false, 0),
        ];
        let placed = dispatch(
            &[
                waiting(100, Route::Department(10), 1, None),
                waiting(101, Route::Department(10), 2, None),
                waiting(102, Route::Department(10), 3, None),
            ],
            &team,
        );
        let offered: Vec<_> = placed.iter().map(|p| p.offered_to).collect();
        // Staff 2 (0 chats) gets the first, then again (1 < 2), then staff 1 and 2 tie at 2: lowest id.
        assert_eq!(offered, [Some(2), Some(2), Some(1)]);
        let positions: Vec<_> = placed.iter().map(|p| p.position).collect();
        assert_eq!(positions, [1, 2, 3]);
    }

    #[test]
    fn chats_wait_when_nobody_serving_the_route_is_available() {
        let team = [staff(1, &[10], false, 0), staff(2, &[20], true, 0)];
        let placed = dispatch(
            &[
                waiting(1, Route::Department(10), 5, None),
                waiting(2, Route::Staff(1), 6, None),
                waiting(3, Route::Everyone, 7, None),
            ],
            &team,
        );
        assert_eq!(placed[0].offered_to, None);
        assert_eq!(
            placed[1].offered_to, None,
            "a chat for one person waits for them"
        );
        assert_eq!(placed[2].offered_to, Some(2));
        assert!(
            placed.iter().all(|p| p.position == 1),
            "each route has its own queue"
        );
    }

    #[test]
    fn standing_offers_stay_while_their_staff_is_available() {
        let team = [staff(1, &[10], true, 5), staff(2, &[10], true, 0)];
        let placed = dispatch(&[waiting(1, Route::Department(10), 1, Some(1))], &team);
        assert_eq!(placed[0].offered_to, Some(1));
        let team = [staff(1, &[10], false, 5), staff(2, &[10], true, 0)];
        let placed = dispatch(&[waiting(1, Route::Department(10), 1, Some(1))], &team);
        assert_eq!(
            placed[0].offered_to,
            Some(2),
            "re-offered when the first goes away"
        );
    }

    #[test]
    fn visibility() {
        let ann = staff(1, &[10], true, 0);
        let bob = staff(2, &[10, 20], true, 0);
        let cara = staff(3, &[20], true, 0);
        let mut admin = staff(4, &[], true, 0);
        admin.is_admin = true;
        let all = [ann.clone(), bob.clone(), cara.clone(), admin.clone()];
        assert!(visible_to(Route::Department(10), &ann, &all));
        assert!(!visible_to(Route::Department(10), &cara, &all));
        assert!(visible_to(Route::Department(10), &admin, &all));
        assert!(
            visible_to(Route::Staff(1), &bob, &all),
            "shares a department with Ann"
        );
        assert!(!visible_to(Route::Staff(1), &cara, &all));
        assert!(visible_to(Route::Everyone, &cara, &all));
    }
}
