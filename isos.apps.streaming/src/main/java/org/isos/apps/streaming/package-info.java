/**
 * ISOS streaming app (issue 6): a movie assembled from fragments served in parallel by many slow hosts. This bundle
 * is the host side; see the module's README.
 */
package org.isos.apps.streaming;
