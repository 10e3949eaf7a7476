use switchboard::{signal, SignalContext, SignalError};

#[signal(path = "chat..send")]
async fn send(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

#[signal(path = "chat.2send")]
async fn send2(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

fn main() {}
