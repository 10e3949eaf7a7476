use switchboard::{signal, SignalContext, SignalError};

#[signal(queue = "a", queue = "b")]
async fn duplicate(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

#[signal(path = chat.send)]
async fn unquoted(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

#[signal(timeout_ms = "5000")]
async fn quoted_timeout(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

#[signal(timeout_ms = 0)]
async fn zero_timeout(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

#[signal(queue = "")]
async fn empty_queue(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

#[signal(allowed)]
async fn no_value(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

fn main() {}
