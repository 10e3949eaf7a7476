//! A bare `#[signal]`: server-only, default signal name, queue and time limit; `#[cfg]`
//! applies to everything the macro generates.
#![deny(warnings)]

use switchboard::SignalHandler;
use switchboard::{signal, SignalContext, SignalError};

mod app {
    use super::*;

    #[signal]
    pub async fn tick(_ctx: SignalContext) -> Result<(), SignalError> {
        Ok(())
    }

    #[signal()]
    pub async fn r#move(_ctx: SignalContext, steps: i32) -> Result<i32, SignalError> {
        Ok(steps)
    }
}

#[signal]
#[cfg(any())]
async fn compiled_out(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

fn main() {
    let spec = app::tick.spec();
    assert_eq!(spec.path, format!("{}.app.tick", module_path!()));
    assert_eq!(spec.name, concat!(module_path!(), "::app::tick"));
    assert!(!spec.allowed.is_browser_callable());
    assert_eq!(spec.queue, "default");
    assert_eq!(spec.timeout, None);
    assert_eq!(
        app::r#move.spec().path,
        format!("{}.app.move", module_path!())
    );
}
