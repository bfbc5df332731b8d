/**
 * How admission works inside: the zip layout check, the verifying read, the signature, manifest and
 * bytecode rules. Private to the bundle; use {@link org.isos.admission.BundleAdmission}.
 */
package org.isos.admission.internal;
