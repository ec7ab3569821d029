// SPDX-License-Identifier: GPL-2.0

//! The counted meta handle: get, put, publish and retire.

#[kernel::prelude::kunit_tests(rzram_gate)]
mod tests {
    use crate::gate::{new_gate, Gate};
    use kernel::{
        prelude::*,
        sync::{
            atomic::{Atomic, Relaxed},
            Arc,
        },
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
}
