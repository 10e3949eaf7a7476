use switchboard::{signal, SignalContext, SignalError};

#[signal(path = "chat.send", name = "send")]
async fn send(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

fn main() {}
