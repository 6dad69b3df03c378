/* The portal's content tree as Decap CMS expects it.
 *
 * Decap's i18n "multiple_folders" structure keeps a document's translations
 * at <folder>/<language>/<slug>.md, under one file name. The portal's tree is
 * <content>/<language>/<any sections>/<file>.md, and translations are paired
 * by their translationKey, each with a file name in its own language. This
 * backend wraps Decap's own (the local proxy, GitHub, GitLab or Gitea) and
 * shows Decap each document at <content>/<section>/<language>/<key>.md,
 * reading and writing the real files: existing translations open side by
 * side, and each language's file name is the editor's "fileName" field
 * (never written to the file; for a new document, its title in that language
 * when left empty). Changing it renames the file.
 */
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("editor-settings").textContent);
  var locales = settings.locales;

  /* Front matter values the layout needs: the first line "key: value" of the block. */
  function frontMatter(raw, key) {
    var match = /^---\r?\n([\s\S]*?)\r?\n(---|\.\.\.)\s*(\r?\n|$)/.exec(raw || "");
    if (!match) {
      return "";
    }
    var lines = match[1].split(/\r?\n/);
    for (var index = 0; index < lines.length; index += 1) {
      if (lines[index].indexOf(key + ":") === 0) {
        var value = lines[index].slice(key.length + 1).trim();
        if (/^[>|][+-]?$/.test(value)) {
          var folded = [];
          while (index + 1 < lines.length && /^\s+\S/.test(lines[index + 1])) {
            index += 1;
            folded.push(lines[index].trim());
          }
          value = folded.join(" ");
        }
        return value.replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1").trim();
      }
    }
    return "";
  }

  /* As the portal pairs keys: trimmed, lower-case, no trailing slash. */
  function pairingKey(value) {
    return value.trim().toLowerCase().replace(/\/+$/, "").trim().replace(/\//g, "-");
  }

  /* A file name from a title: ASCII letters and digits separated by hyphens. */
  function fileName(title) {
    return title.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80).replace(/-+$/, "");
  }

  var FILE_NAME = /^fileName:.*(\r?\n)/m;

  function stem(path) {
    return path.split("/").pop().replace(/\.md$/, "");
  }

  /* The file's name shown in the editor's fileName field, as the first front-matter key. */
  function withFileName(raw, path) {
    if (typeof raw !== "string" || raw.indexOf("---") !== 0) {
      return raw;
    }
    return raw.replace(/^---(\r?\n)/, "---$1fileName: " + JSON.stringify(stem(path)) + "$1");
  }

  function withoutFileName(raw) {
    var end = raw.indexOf("\n---", 3);
    return end < 0 ? raw : raw.slice(0, end).replace(FILE_NAME, "") + raw.slice(end);
  }

  function belongs(spec, raw, path) {
    var layout = frontMatter(raw, "layout");
    if (spec.kind === "posting") {
      return layout === "job-posting";
    }
    return layout === "blog" || (!layout && /\/blog\//i.test(path));
  }

  function notFound(path) {
    var error = new Error("Not found: " + path);
    error.status = 404;
    return error;
  }

  function PortalBackend(config, options) {
    var inner = CMS.getBackend(settings.backend).init(config, options);
    this.inner = inner;
    this.real = {};
    this.listed = {};
    return new Proxy(this, {
      get: function (target, name) {
        if (name in target) {
          return target[name];
        }
        var value = inner[name];
        return typeof value === "function" ? value.bind(inner) : value;
      },
    });
  }

  PortalBackend.prototype.spec = function (folder) {
    return settings.collections[folder.replace(/\/+$/, "")];
  };

  /* Which virtual folder, language and slug a virtual path names. */
  PortalBackend.prototype.parse = function (path) {
    var parts = path.split("/");
    var slug = parts.pop().replace(/\.md$/, "");
    var locale = parts.pop();
    var folder = parts.join("/");
    return { folder: folder, locale: locale, slug: slug, spec: this.spec(folder) };
  };

  PortalBackend.prototype.list = function (folder, extension) {
    var self = this;
    var spec = this.spec(folder);
    var inner = this.inner;
    /* Git hosts page entriesByFolder and list everything with allEntriesByFolder; the local proxy has only the first. */
    var listAll = (inner.allEntriesByFolder || inner.entriesByFolder).bind(inner);
    return Promise.all(locales.map(function (locale) {
      return listAll(spec.root + "/" + locale, extension, 20).then(function (entries) {
        var taken = {};
        return entries.filter(function (entry) {
          return belongs(spec, entry.data, entry.file.path);
        }).map(function (entry) {
          var key = pairingKey(frontMatter(entry.data, "translationKey"));
              var name = stem(entry.file.path);
          var slug = key && !taken[key] ? key : name + (taken[name] ? "-" + locale : "");
          taken[slug] = true;
          var virtual = folder + "/" + locale + "/" + slug + ".md";
          self.real[virtual] = entry.file.path;
          return Object.assign({}, entry, {
            data: withFileName(entry.data, entry.file.path),
            file: Object.assign({}, entry.file, { path: virtual }),
          });
        });
      }, function () {
        return [];
      });
    })).then(function (lists) {
      self.listed[folder] = true;
      return [].concat.apply([], lists);
    });
  };

  PortalBackend.prototype.entriesByFolder = function (folder, extension, depth) {
    return this.spec(folder) ? this.list(folder, extension) : this.inner.entriesByFolder(folder, extension, depth);
  };

  PortalBackend.prototype.allEntriesByFolder = function (folder, extension, depth, pathRegex) {
    return this.spec(folder)
      ? this.list(folder, extension)
      : this.inner.allEntriesByFolder(folder, extension, depth, pathRegex);
  };

  /* The real path of a virtual one, listing its folder first if needed. */
  PortalBackend.prototype.realPath = function (path) {
    var self = this;
    var where = this.parse(path);
    if (!where.spec || this.real[path] || this.listed[where.folder]) {
      return Promise.resolve(this.real[path] || (where.spec ? null : path));
    }
    return this.list(where.folder, "md").then(function () {
      return self.real[path] || null;
    });
  };

  PortalBackend.prototype.getEntry = function (path) {
    var self = this;
    return this.realPath(path).then(function (real) {
      if (!real) {
        throw notFound(path);
      }
      return self.inner.getEntry(real).then(function (entry) {
        return Object.assign({}, entry, {
          data: withFileName(entry.data, real),
          file: Object.assign({}, entry.file, { path: path }),
        });
      });
    });
  };

  /* Tell whether a file exists (the local proxy answers a missing one with no data; git hosts with an error). */
  PortalBackend.prototype.exists = function (path) {
    return this.inner.getEntry(path).then(function (entry) {
      return Boolean(entry) && entry.data !== null && entry.data !== undefined;
    }, function () {
      return false;
    });
  };

  /* Where a new document's file goes: its language's folder and section,
   * named as the editor says (else after its title in that language, else
   * its key), never over another file. */
  PortalBackend.prototype.newPath = function (path, raw) {
    var self = this;
    var where = this.parse(path);
    var base = frontMatter(raw, "fileName") || fileName(frontMatter(raw, "title")) || where.slug;
    var folder = where.spec.root + "/" + where.locale + "/" + where.spec.section + "/";
    var taken = Object.keys(this.real).map(function (key) { return self.real[key]; });
    function attempt(number) {
      var candidate = folder + base + (number > 1 ? "-" + number : "") + ".md";
      if (taken.indexOf(candidate) >= 0) {
        return attempt(number + 1);
      }
      return self.exists(candidate).then(function (found) {
        return found ? attempt(number + 1) : candidate;
      });
    }
    return attempt(1);
  };

  /* The file an existing document is saved to: renamed when its fileName changed. */
  PortalBackend.prototype.renamedPath = function (real, raw) {
    var wanted = frontMatter(raw, "fileName");
    if (!wanted || wanted === stem(real)) {
      return Promise.resolve(real);
    }
    var target = real.slice(0, real.lastIndexOf("/") + 1) + wanted + ".md";
    return this.exists(target).then(function (found) {
      if (found) {
        throw new Error(target + " already exists: choose another file name");
      }
      return target;
    });
  };

  PortalBackend.prototype.persistEntry = function (entry, options) {
    var self = this;
    var renamed = [];
    return Promise.all(entry.dataFiles.map(function (file) {
      var mapped = Boolean(self.parse(file.path).spec);
      return self.realPath(file.path).then(function (real) {
        if (!mapped) {
          return file.path;
        }
        if (!real) {
          return self.newPath(file.path, file.raw);
        }
        return self.renamedPath(real, file.raw).then(function (target) {
          if (target !== real) {
            renamed.push(real);
          }
          return target;
        });
      }).then(function (real) {
        if (mapped) {
          self.real[file.path] = real;
        }
        var raw = mapped ? withoutFileName(file.raw) : file.raw;
        return Object.assign({}, file, { path: real, raw: raw, newPath: undefined });
      });
    })).then(function (files) {
      return self.inner.persistEntry(Object.assign({}, entry, { dataFiles: files }), options);
    }).then(function (result) {
      return renamed.length ? self.inner.deleteFiles(renamed, "Rename " + renamed.join(", ")).then(function () {
        return result;
      }) : result;
    });
  };

  PortalBackend.prototype.deleteFiles = function (paths, message) {
    var self = this;
    return Promise.all(paths.map(function (path) {
      return self.realPath(path).then(function (real) { return real || path; });
    })).then(function (real) {
      return self.inner.deleteFiles(real, message);
    });
  };

  CMS.registerBackend("portal", PortalBackend);
})();
