use switchboard::{signal, SignalContext, SignalError};

#[signal]
fn send(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

fn main() {}
