// SPDX-License-Identifier: GPL-2.0

//! The counted meta handle: get, put, publish and retire, alone and under contention.

#[kernel::prelude::kunit_tests(rzram_gate)]
mod tests {
    use crate::gate::{new_gate, Gate};
    use kernel::{
        prelude::*,
        sync::{
            atomic::{Atomic, Relaxed},
            Arc,
        },
        task::cond_resched,
        time::{delay::fsleep, Delta},
        workqueue,
    };

    #[test]
    fn get_fails_until_published() -> Result {
        let gate = KBox::<Gate<u32>>::pin_init(new_gate!("rzram_test_gate"), GFP_KERNEL)?;
        assert!(gate.try_get().is_none());
        assert!(!gate.is_live());
        gate.publish(KBox::new(7, GFP_KERNEL)?)
            .map_err(|(e, _)| e)?;
        assert!(gate.is_live());
        assert_eq!(gate.try_get().map(|r| *r), Some(7));
        Ok(())
    }

    #[test]
    fn publish_twice_is_ebusy() -> Result {
        let gate = KBox::<Gate<u32>>::pin_init(new_gate!("rzram_test_gate"), GFP_KERNEL)?;
        gate.publish(KBox::new(1, GFP_KERNEL)?)
            .map_err(|(e, _)| e)?;
        let again = gate.publish(KBox::new(2, GFP_KERNEL)?);
        assert!(matches!(again, Err((e, ref v)) if e == EBUSY && **v == 2));
        assert_eq!(gate.try_get().map(|r| *r), Some(1));
        Ok(())
    }

    #[test]
    fn retire_returns_the_object_and_get_fails_after() -> Result {
        let gate = KBox::<Gate<u32>>::pin_init(new_gate!("rzram_test_gate"), GFP_KERNEL)?;
        assert!(gate.retire().is_none());
        gate.publish(KBox::new(3, GFP_KERNEL)?)
            .map_err(|(e, _)| e)?;
        {
            let a = gate.try_get();
            let b = gate.try_get();
            assert_eq!(a.map(|r| *r), Some(3));
            assert_eq!(b.map(|r| *r), Some(3));
        }
        assert_eq!(gate.retire().map(|v| *v), Some(3));
        assert!(gate.try_get().is_none());
        assert!(!gate.is_live());
        // The gate can be used again, as disksize after reset does.
        gate.publish(KBox::new(4, GFP_KERNEL)?)
            .map_err(|(e, _)| e)?;
        assert_eq!(gate.try_get().map(|r| *r), Some(4));
        Ok(())
    }

    #[test]
    fn retire_waits_for_the_last_reference() -> Result {
        let gate = Arc::<Gate<u32>>::pin_init(new_gate!("rzram_test_gate"), GFP_KERNEL)?;
        let retired = Arc::new(Atomic::new(0u32), GFP_KERNEL)?;
        gate.publish(KBox::new(5, GFP_KERNEL)?)
            .map_err(|(e, _)| e)?;
        let held = gate.try_get();
        assert!(held.is_some());

        let (g, r) = (gate.clone(), retired.clone());
        workqueue::system().try_spawn(GFP_KERNEL, move || {
            let value = g.retire().map_or(0, |v| *v);
            r.store(value, Relaxed);
        })?;

        // While we hold a reference the retirement cannot finish, but new
        // references are already refused.
        fsleep(Delta::from_millis(50));
        assert_eq!(retired.load(Relaxed), 0);
        let mut refused = false;
        for _ in 0..100 {
            if gate.try_get().is_none() {
                refused = true;
                break;
            }
            fsleep(Delta::from_millis(10));
        }
        assert!(refused);
        assert_eq!(retired.load(Relaxed), 0);

        drop(held);
        for _ in 0..200 {
            if retired.load(Relaxed) != 0 {
                break;
            }
            fsleep(Delta::from_millis(10));
        }
        assert_eq!(retired.load(Relaxed), 5);
        Ok(())
    }

    /// What the racing readers see: an object whose `live` flag the retiring side clears
    /// only after `retire` has handed it back.
    struct Obj {
        round: u32,
        live: Atomic<u32>,
    }

    /// Readers and a retiring owner, on several CPUs at once.
    struct Race {
        gate: Pin<KBox<Gate<Obj>>>,
        stop: Atomic<u32>,
        /// References taken, across all readers.
        taken: Atomic<u32>,
        /// References that saw an object already handed back by `retire`.
        stale: Atomic<u32>,
        /// References that saw a round older than the previous one.
        wrong_round: Atomic<u32>,
        /// The round published now.
        round: Atomic<u32>,
        /// Readers that have finished.
        done: Atomic<u32>,
    }

    const READERS: u32 = 4;
    const ROUNDS: u32 = 200;

    #[test]
    fn references_never_outlive_their_retirement() -> Result {
        let race = Arc::new(
            Race {
                gate: KBox::pin_init(new_gate!("rzram_test_gate"), GFP_KERNEL)?,
                stop: Atomic::new(0),
                taken: Atomic::new(0),
                stale: Atomic::new(0),
                wrong_round: Atomic::new(0),
                round: Atomic::new(0),
                done: Atomic::new(0),
            },
            GFP_KERNEL,
        )?;
        for _ in 0..READERS {
            let r = race.clone();
            workqueue::system_unbound().try_spawn(GFP_KERNEL, move || {
                while r.stop.load(Relaxed) == 0 {
                    if let Some(obj) = r.gate.try_get() {
                        r.taken.fetch_add(1, Relaxed);
                        if obj.live.load(Relaxed) == 0 {
                            r.stale.fetch_add(1, Relaxed);
                        }
                        // The object published when the reference was taken, or (the
                        // round counter moves after `publish`) the one before it.
                        if obj.round + 1 < r.round.load(Relaxed) {
                            r.wrong_round.fetch_add(1, Relaxed);
                        }
                    }
                    cond_resched();
                }
                r.done.fetch_add(1, Relaxed);
            })?;
        }

        let mut retired = 0;
        for round in 1..=ROUNDS {
            let obj = KBox::new(
                Obj {
                    round,
                    live: Atomic::new(1),
                },
                GFP_KERNEL,
            )?;
            race.gate.publish(obj).map_err(|(e, _)| e)?;
            race.round.store(round, Relaxed);
            if round % 8 == 0 {
                fsleep(Delta::from_micros(200));
            } else {
                cond_resched();
            }
            if let Some(obj) = race.gate.retire() {
                // No reference is left: clearing the flag now must go unseen.
                obj.live.store(0, Relaxed);
                assert_eq!(obj.round, round);
                retired += 1;
            }
            assert!(race.gate.try_get().is_none());
        }
        race.stop.store(1, Relaxed);
        for _ in 0..1000 {
            if race.done.load(Relaxed) == READERS {
                break;
            }
            fsleep(Delta::from_millis(5));
        }
        assert_eq!(race.done.load(Relaxed), READERS);
        assert_eq!(retired, ROUNDS);
        assert_eq!(race.stale.load(Relaxed), 0);
        assert_eq!(race.wrong_round.load(Relaxed), 0);
        // The readers did race with the owner, not only run after it.
        assert!(race.taken.load(Relaxed) > 0);
        Ok(())
    }
}
