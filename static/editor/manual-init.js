/* Loaded before decap-cms.js: editor.js starts Decap once its pieces are registered. */
window.CMS_MANUAL_INIT = true;
