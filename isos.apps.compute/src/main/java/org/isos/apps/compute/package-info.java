/** ISOS compute app: the module's skeleton; its issue brings the implementation. */
package org.isos.apps.compute;
