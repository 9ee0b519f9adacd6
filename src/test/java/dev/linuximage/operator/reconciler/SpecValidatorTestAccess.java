package dev.linuximage.operator.reconciler;

import dev.linuximage.operator.api.v1alpha1.LinuxImageSpec;

/** Exposes {@link SpecValidatorTest#valid()} to tests of other packages. */
public final class SpecValidatorTestAccess {
    private SpecValidatorTestAccess() {}

    public static LinuxImageSpec valid() {
        return SpecValidatorTest.valid();
    }
}
