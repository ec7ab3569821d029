// SPDX-License-Identifier: GPL-2.0

//! Requests that need the backing store run in the store's worker, not in the submitter.
//!
//! `queue_rq` may run in the context that submitted the bio, inside the block layer's
//! submission loop, where bios issued to another device are only queued until the current one
//! returns. A read of a written-back page, or an inline writeback, waits for such a bio: done
//! there, it would wait for itself. So the request path reports [`DEFER`] instead, and
//! `queue_rq` hands the request to the store's workqueue, as the loop driver does with all of
//! its requests; the worker runs it again from the start (reads and writes are idempotent) and
//! ends it. The queue stays `SYNCHRONOUS` in the sense swap relies on: the submitter waits for
//! the request's completion, wherever it comes from.
//!
//! The workqueue is a `WQ_MEM_RECLAIM` one, owned by the store, since swap-in may depend on
//! it; it is drained when the store is released.

use crate::{device::Device, io, Rzram};
use kernel::{
    block::mq::Request,
    impl_has_work, new_work,
    prelude::*,
    sync::{aref::ARef, Arc},
    workqueue::{OwnedQueue, Work, WorkItem},
};

/// What the request path returns when a request must run in the store's worker.
pub(crate) const DEFER: Error = EAGAIN;

/// A request waiting for the store's worker.
#[pin_data]
struct Deferred {
    #[pin]
    work: Work<Deferred>,
    device: Option<Arc<Device>>,
    rq: Option<ARef<Request<Rzram>>>,
}

impl_has_work! {
    impl HasWork<Self> for Deferred { self.work }
}

impl WorkItem for Deferred {
    type Pointer = Pin<KBox<Self>>;

    fn run(mut this: Pin<KBox<Self>>) {
        let fields = this.as_mut().project();
        let (Some(device), Some(rq)) = (fields.device.take(), fields.rq.take()) else {
            return;
        };
        let status = match device.meta() {
            Some(meta) => io::execute(&meta, &rq, io::Context::Worker),
            // Reset while the request waited.
            None => Err(EIO),
        };
        // Let go of the device before the request ends: its end is what lets a removal of the
        // disk go on, and the last reference must not be dropped here, in the worker of a
        // queue that the device's teardown drains.
        drop(device);
        crate::end_request(rq, status);
    }
}

/// Hands `rq` to `queue`, to run in its worker. If there is no memory for that, gives `rq`
/// back, for `queue_rq` to have the block layer issue it again (`BLK_STS_RESOURCE`).
pub(crate) fn defer(
    queue: &OwnedQueue,
    device: Arc<Device>,
    rq: ARef<Request<Rzram>>,
) -> Result<(), ARef<Request<Rzram>>> {
    // The box is allocated before `rq` moves in, so a failure leaves `rq` with the caller.
    // From the reserves, without reclaim: this may be swap-in under memory pressure.
    let Ok(slot) = KBox::<Deferred>::new_uninit(GFP_ATOMIC | __GFP_NOWARN) else {
        return Err(rq);
    };
    let deferred = KBox::write_pin_init(
        slot,
        pin_init!(Deferred {
            work <- new_work!("rzram_deferred"),
            device: Some(device),
            rq: Some(rq),
        }),
    );
    match deferred {
        Ok(deferred) => {
            queue.enqueue(deferred);
            Ok(())
        }
        // `pin_init!` of these fields cannot fail.
        Err(infallible) => match infallible {},
    }
}
