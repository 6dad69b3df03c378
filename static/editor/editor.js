/* The content editor's preview pane, then the editor's start.
 *
 * Postings and stories are drawn with the portal's own stylesheet and markup
 * (templates/public/posting.html, story.html), in the words of the language
 * being previewed. Loaded after decap-cms.js (which provides CMS, h and
 * createClass) and layout.js (the backend that reads the portal's tree). */
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("editor-settings").textContent);
  var words = settings.words;
  var languages = settings.locales; /* the default language first */

  CMS.registerPreviewStyle(settings.stylesheet);
  CMS.registerPreviewStyle(settings.previewStylesheet);

  /* The language being previewed: the entry's data is one language's. */
  function languageOf(entry) {
    var data = entry.get("data");
    var i18n = entry.get("i18n");
    var found = languages[0];
    languages.forEach(function (code) {
      if (i18n && i18n.getIn([code, "data"]) === data) {
        found = code;
      }
    });
    return found;
  }

  function text(value) {
    return value === undefined || value === null ? "" : String(value);
  }

  function listOf(value) {
    if (!value) {
      return [];
    }
    return value.toJS ? value.toJS() : [].concat(value);
  }

  function amount(value, said, currency) {
    return new Intl.NumberFormat(said.locale, {
      style: "currency", currency: currency || "CAD", maximumFractionDigits: 0,
    }).format(value);
  }

  function facts(data, said) {
    var rows = [];
    function add(key, value) {
      if (value) {
        rows.push(h("div", { key: key }, h("dt", null, said.facts[key]), h("dd", null, value)));
      }
    }
    add("classification", text(data.get("classification")));
    var salary = data.get("salary");
    if (salary && salary.get("min")) {
      var low = amount(salary.get("min"), said, salary.get("currency"));
      var high = salary.get("max") ? amount(salary.get("max"), said, salary.get("currency")) : "";
      add("salary", high && high !== low ? low + " – " + high : low);
    } else {
      add("salary", text(data.get("compensation")));
    }
    add("employment", said.employmentType[data.get("employmentType")] || text(data.get("term")));
    add("location", listOf(data.get("locations")).join("; "));
    add("remote", said.remote[data.get("remote")]);
    var language = said.languageRequirement[data.get("languageRequirement")];
    if (language && data.get("languageLevels")) {
      language += " (" + data.get("languageLevels") + ")";
    }
    add("language", language);
    return rows.length ? h("dl", { className: "details" }, rows) : null;
  }

  function criteria(data, said) {
    var all = listOf(data.get("criteria"));
    var sections = [];
    [["essential", said.essential], ["asset", said.asset]].forEach(function (kind) {
      var items = all.filter(function (item) { return item && item.kind === kind[0]; });
      if (items.length) {
        sections.push(h("h2", { key: kind[0] + "-heading" }, kind[1]));
        sections.push(h("ul", { key: kind[0] }, items.map(function (item, index) {
          return h("li", { key: index }, text(item.label));
        })));
      }
    });
    return sections.length ? h("section", { className: "criteria" }, sections) : null;
  }

  function questions(data, said) {
    var all = listOf(data.get("questions"));
    if (!all.length) {
      return null;
    }
    return h("section", { className: "editor-preview__questions" },
      h("h2", null, said.questions),
      h("ol", null, all.map(function (item, index) {
        return h("li", { key: index }, text(item && item.label),
          item && item.hint ? h("span", { className: "hint" }, " " + item.hint) : null);
      })));
  }

  function page(lang, children) {
    return h("div", { lang: lang, className: "editor-preview" },
      h("main", { className: "wrapper" }, children));
  }

  var PostingPreview = createClass({
    render: function () {
      var entry = this.props.entry;
      var data = entry.get("data");
      var lang = languageOf(entry);
      var said = Object.assign({ lang: lang }, words[lang]);
      var closing = data.get("closingDate");
      return page(lang, [
        h("h1", { key: "title" }, text(data.get("title"))),
        data.get("description") ? h("p", { key: "lead", className: "lead" }, text(data.get("description"))) : null,
        h("div", { key: "facts" }, facts(data, said)),
        closing ? h("p", { key: "closing", className: "meta" }, said.closes + " " + text(closing).replace("T", " ")) : null,
        h("div", { key: "criteria" }, criteria(data, said)),
        h("p", { key: "apply", className: "apply-action" },
          h("span", { className: "button button--primary" }, said.apply)),
        h("div", { key: "body", className: "prose" }, this.props.widgetFor("body")),
        h("div", { key: "questions" }, questions(data, said)),
      ]);
    },
  });

  var StoryPreview = createClass({
    render: function () {
      var entry = this.props.entry;
      var data = entry.get("data");
      var lang = languageOf(entry);
      var said = words[lang];
      var image = data.get("image");
      var tags = listOf(data.get("tags")).filter(Boolean);
      var meta = [text(data.get("author")), text(data.get("date")).slice(0, 10)].filter(Boolean).join(" · ");
      return page(lang, [
        h("h1", { key: "title" }, text(data.get("title"))),
        meta ? h("p", { key: "meta", className: "meta" }, meta) : null,
        image ? h("figure", { key: "image", className: "story-image" },
          h("img", { src: this.props.getAsset(image).toString(), alt: text(data.get("image-alt")) })) : null,
        h("div", { key: "body", className: "prose" }, this.props.widgetFor("body")),
        tags.length ? h("p", { key: "tags", className: "tags" }, h("span", null, said.topics), " ",
          tags.map(function (tag, index) { return h("span", { key: index, className: "tag" }, tag); })) : null,
      ]);
    },
  });

  CMS.registerPreviewTemplate("postings", PostingPreview);
  CMS.registerPreviewTemplate("stories", StoryPreview);
  CMS.init();
})();
