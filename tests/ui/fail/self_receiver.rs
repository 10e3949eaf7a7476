use switchboard::{signal, SignalContext, SignalError};

struct Chat;

impl Chat {
    #[signal]
    async fn send(&self, _ctx: SignalContext) -> Result<(), SignalError> {
        Ok(())
    }
}

fn main() {}
