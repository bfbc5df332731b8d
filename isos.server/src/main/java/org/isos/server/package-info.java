/** ISOS server complex: the module's skeleton; its issue brings the implementation. */
package org.isos.server;
