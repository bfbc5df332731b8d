/** Facilities ISOS applications incorporate (as bnd conditional packages): erasure coding, placement, audits, repair. */
package org.isos.toolkit;
