//! Who may call a handler from a browser.
//!
//! Handlers are server-only unless `allowed` says otherwise. The checks here are the ones of
//! df_websockets (`everyone`, `is_authenticated`, ...); any `fn(&WindowInfo) -> bool` or
//! closure works as well. Server-side triggers bypass them.

use std::fmt;
use std::sync::Arc;

use crate::identity::WindowInfo;

/// A browser permission check.
type Check = Arc<dyn Fn(&WindowInfo) -> bool + Send + Sync>;

/// Whether, and for whom, a handler is callable from browsers.
#[derive(Clone, Default)]
pub enum Allowed {
    /// Only server code may trigger it (the default): browsers get `unknown_signal`.
    #[default]
    ServerOnly,
    /// Browsers whose window passes the check may call it.
    Browser(Check),
}

impl Allowed {
    /// Callable from browsers whose window passes `check`.
    pub fn browser<F>(check: F) -> Allowed
    where
        F: Fn(&WindowInfo) -> bool + Send + Sync + 'static,
    {
        Allowed::Browser(Arc::new(check))
    }

    /// Whether browsers may call the handler at all.
    pub fn is_browser_callable(&self) -> bool {
        matches!(self, Allowed::Browser(_))
    }

    /// Whether this window may call it from a browser.
    pub fn allows(&self, window: &WindowInfo) -> bool {
        match self {
            Allowed::ServerOnly => false,
            Allowed::Browser(check) => check(window),
        }
    }
}

impl fmt::Debug for Allowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Allowed::ServerOnly => f.write_str("ServerOnly"),
            Allowed::Browser(_) => f.write_str("Browser(..)"),
        }
    }
}

/// Any window, logged in or not.
pub fn everyone(_: &WindowInfo) -> bool {
    true
}

/// Windows with a logged-in user.
pub fn authenticated(window: &WindowInfo) -> bool {
    window.user.is_some()
}

/// Windows without a logged-in user.
pub fn anonymous(window: &WindowInfo) -> bool {
    window.user.is_none()
}

/// Windows of staff users (Django's `is_staff`).
pub fn staff(window: &WindowInfo) -> bool {
    window.user.as_ref().is_some_and(|u| u.is_staff)
}

/// Windows of superusers.
pub fn superuser(window: &WindowInfo) -> bool {
    window.user.as_ref().is_some_and(|u| u.is_superuser)
}

/// Windows of users holding the permission `perm` (`app.codename`); superusers hold them all.
pub fn has_perm(perm: impl Into<String>) -> impl Fn(&WindowInfo) -> bool + Send + Sync + 'static {
    let perm = perm.into();
    move |window: &WindowInfo| window.user.as_ref().is_some_and(|u| u.has_perm(&perm))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::User;

    #[test]
    fn checks() {
        let anon = WindowInfo::default();
        let user = WindowInfo {
            user: Some(User {
                id: "1".into(),
                perms: vec!["blog.edit".into()],
                ..User::default()
            }),
            ..WindowInfo::default()
        };
        let root = WindowInfo {
            user: Some(User {
                id: "2".into(),
                is_superuser: true,
                is_staff: true,
                ..User::default()
            }),
            ..WindowInfo::default()
        };
        assert!(everyone(&anon) && anonymous(&anon) && !authenticated(&anon));
        assert!(authenticated(&user) && !staff(&user) && !superuser(&user));
        assert!(staff(&root) && superuser(&root));
        let edit = has_perm("blog.edit");
        assert!(!edit(&anon) && edit(&user) && edit(&root));
        assert!(!Allowed::ServerOnly.allows(&root));
        assert!(Allowed::browser(staff).allows(&root));
    }
}
