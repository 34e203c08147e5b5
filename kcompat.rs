// SPDX-License-Identifier: GPL-2.0

//! What differs between the kernel series the module builds on (7.2 and 7.3), in one place.
//!
//! Each difference is detected from the kernel tree by `Kbuild` and arrives here as a `--cfg`;
//! nothing compares version numbers. The rest of the module calls the items below and reads the
//! same on every series.

use core::marker::PhantomData;
use kernel::{
    fs::File,
    miscdevice::{
        MiscDevice,
        MiscDeviceOptions, //
    },
    module_param::ModuleParamAccess,
    prelude::*, //
};

#[cfg(not(rwq_misc_sets_owner))]
use kernel::bindings;

/// The value of a module parameter.
///
/// 7.3 ("rust: module_param: return value by copy") made `ModuleParamAccess::value()` return
/// `T`; 7.2's returns `&T` (7.3 calls that `value_ref()`).
pub(crate) fn param_value<T: Copy>(param: &ModuleParamAccess<T>) -> T {
    #[cfg(rwq_param_value_copy)]
    let value = param.value();
    #[cfg(not(rwq_param_value_copy))]
    let value = *param.value();
    value
}

/// Makes an open file of the misc device pin the module, on series whose misc core does not.
///
/// 7.3's misc core sets `file_operations::owner` itself (`this_module::<T::OwnerModule>()`,
/// filled in by `#[vtable]`; Rust-for-Linux issue #1182), so the VFS takes a module reference for
/// every open file and there is nothing to do: this type is empty and `install` does nothing.
#[cfg(rwq_misc_sets_owner)]
pub(crate) struct OwnerFops<T: MiscDevice>(PhantomData<T>);

#[cfg(rwq_misc_sets_owner)]
impl<T: MiscDevice> OwnerFops<T> {
    pub(crate) fn new(_options: MiscDeviceOptions, _module: &'static ThisModule) -> Self {
        Self(PhantomData)
    }

    /// Nothing to do: the core's table already names the module as owner.
    ///
    /// # Safety
    ///
    /// The contract of the 7.2 version, so that the caller is sound on every series: `file` must be
    /// being opened, and `self` must stay alive and in place until this module is unloaded.
    pub(crate) unsafe fn install(&self, _file: &File) -> Result {
        Ok(())
    }
}

/// Makes an open file of the misc device pin the module, on series whose misc core does not.
///
/// 7.2's misc core builds `file_operations` without `owner` (Rust-for-Linux issue #1182), so an
/// open file would not keep the module loaded, and `rmmod` would free the code that the file's
/// `ioctl` and `release` still call. `install` (called from `open`) takes a reference on the
/// module and switches the file to this copy of the table with `owner` set, as C's
/// `replace_fops()` does; the VFS drops the reference after `release`.
#[cfg(not(rwq_misc_sets_owner))]
pub(crate) struct OwnerFops<T: MiscDevice>(bindings::file_operations, PhantomData<T>);

// SAFETY: The table is written once in `new` and only read afterwards; the pointers it holds are
// to functions and to the module, which every thread may use.
#[cfg(not(rwq_misc_sets_owner))]
unsafe impl<T: MiscDevice> Send for OwnerFops<T> {}
// SAFETY: See `Send`: after `new` the table is never written, so shared reads cannot race.
#[cfg(not(rwq_misc_sets_owner))]
unsafe impl<T: MiscDevice> Sync for OwnerFops<T> {}

#[cfg(not(rwq_misc_sets_owner))]
impl<T: MiscDevice> OwnerFops<T> {
    pub(crate) fn new(options: MiscDeviceOptions, module: &'static ThisModule) -> Self {
        // SAFETY: `into_raw` sets `fops` to the static vtable the misc core uses for `T`, which
        // lives as long as the module; reading it copies the table.
        let mut fops = unsafe { *options.into_raw::<T>().fops };
        fops.owner = module.as_ptr();
        Self(fops, PhantomData)
    }

    /// Makes `file` (being opened) pin the module until it is released.
    ///
    /// # Safety
    ///
    /// `file` must be being opened (in `MiscDevice::open`), and `self` must stay alive and in
    /// place until this module is unloaded: the file keeps pointing at it until its release, which
    /// the module reference taken here lets happen only before the module goes away. A field of
    /// the module struct does (it lives until the module's exit, which waits for the reference).
    pub(crate) unsafe fn install(&self, file: &File) -> Result {
        // SAFETY: `owner` is this module, whose code is running, so its `struct module` is alive.
        if !unsafe { bindings::try_module_get(self.0.owner) } {
            // The module is going away: refuse new opens.
            return Err(ENODEV);
        }
        // SAFETY: By the caller's guarantee the file is being opened, so only this thread sees
        // it. Its `f_op` is the misc core's table for this device, whose `owner` is NULL, so
        // there is no reference to drop (what `replace_fops()` would `fops_put`). The new table
        // has the same callbacks and, by the caller's guarantee, outlives the module reference
        // taken above, which `fops_put()` drops in `__fput()` after `release`, or in
        // `do_dentry_open()`'s error path.
        unsafe { (*file.as_ptr()).f_op = &self.0 };
        Ok(())
    }
}
