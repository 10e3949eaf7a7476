use switchboard::{signal, SignalContext, SignalError};

#[signal]
async fn no_context(name: String) -> Result<String, SignalError> {
    Ok(name)
}

#[signal]
async fn no_result(_ctx: SignalContext) -> u32 {
    1
}

#[signal(allowed = 5)]
async fn not_a_check(_ctx: SignalContext) -> Result<(), SignalError> {
    Ok(())
}

#[signal]
async fn rest_not_opts(_ctx: SignalContext, #[opts] _rest: Vec<u8>) -> Result<(), SignalError> {
    Ok(())
}

fn main() {}
