//! PROTOCOL.md stays true to the code: every error code the server sends, every close code it
//! closes with and every route it serves is documented there.

use switchboard::__private::{routes, Disconnect};
use switchboard::config::Config;
use switchboard::ErrorCode;

const PROTOCOL: &str = include_str!("../PROTOCOL.md");

#[test]
fn every_error_code_is_documented() {
    for code in ErrorCode::ALL {
        assert!(
            PROTOCOL.contains(&format!("`{code}`")),
            "PROTOCOL.md does not document the error code `{code}`"
        );
    }
}

#[test]
fn every_close_code_is_documented() {
    for reason in Disconnect::ALL {
        let code = reason.code();
        assert!(
            PROTOCOL.contains(&format!("`{code}`")),
            "PROTOCOL.md does not document the close code `{code}` ({reason:?})"
        );
    }
}

#[test]
fn every_route_is_documented() {
    let routes = routes(&Config::default());
    assert!(
        routes.len() >= 11,
        "the route table lost routes: {routes:?}"
    );
    for route in routes {
        assert!(
            PROTOCOL.contains(&format!("`{route}`")),
            "PROTOCOL.md does not document the route `{route}`"
        );
    }
}

#[test]
fn the_document_is_the_repositorys_own() {
    // The wire contract used to live outside the repository; links must stay inside it.
    for (name, text) in [
        ("README.md", include_str!("../README.md")),
        ("SECURITY.md", include_str!("../SECURITY.md")),
        (
            "js-client/README.md",
            include_str!("../js-client/README.md"),
        ),
        ("src/lib.rs", include_str!("../src/lib.rs")),
    ] {
        assert!(
            !text.contains("shared/PROTOCOL.md"),
            "{name} links a PROTOCOL.md outside the repository"
        );
    }
}
