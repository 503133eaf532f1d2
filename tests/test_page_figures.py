"""The figures the page and the model page quote are the model card's own (model/validation_metrics.json): a
rebuilt model whose figures change fails here until the pages say the new ones."""
import json
from html.parser import HTMLParser

import pytest

from devkit.servers import PROJECT_ROOT

METRICS = json.loads((PROJECT_ROOT / "model" / "validation_metrics.json").read_text())
PAGES = ["index.html", "model.html"]
FORMATS = {
    "count": lambda value: f"{value:,}",
    "percent": lambda value: f"{round(value * 100)}%",
    "percent2": lambda value: f"{value * 100:.2f}%",
    "decimal": lambda value: f"{value:.3f}",
    "band": lambda band: f"{round(band[0] * 100)}% to {round(band[1] * 100)}%",
}


class FigureParser(HTMLParser):
    """Collects (data-figure, data-format, text) of every element that quotes a figure."""

    def __init__(self):
        super().__init__()
        self.figures, self.open = [], None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "data-figure" in attributes:
            self.open = [attributes["data-figure"], attributes.get("data-format"), ""]

    def handle_data(self, data):
        if self.open:
            self.open[2] += data

    def handle_endtag(self, tag):
        if self.open:
            self.figures.append(tuple(self.open))
            self.open = None


def quoted_figures(page: str) -> list[tuple]:
    parser = FigureParser()
    parser.feed((PROJECT_ROOT / "static" / page).read_text())
    return parser.figures


def metric(path: str):
    value = METRICS
    for key in path.split("."):
        value = value[key]
    return value


@pytest.mark.parametrize("page", PAGES)
def test_every_figure_a_page_quotes_is_the_model_cards(page):
    figures = quoted_figures(page)
    assert figures, f"{page} quotes no figure"
    for path, fmt, text in figures:
        assert text.strip() == FORMATS[fmt](metric(path)), f"{page}: {path} says {text!r}"


def test_the_model_page_quotes_the_key_figures():
    quoted = {path for path, _, _ in quoted_figures("model.html")}
    assert {"base_rate", "validation.hard_to_tell.band", "validation.hard_to_tell.decisive_share",
            "validation.hard_to_tell.balanced_accuracy_on_decisive", "validation.roc_auc",
            "validation.not_a_poster_held_out_images.flagged_share"} <= quoted
