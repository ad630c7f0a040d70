"""The raw Reuters-21578 SGML corpus: ModApte split, top-N / R8 / R52 single-label topic sets."""

from ..data.reuters21578 import Story, choose_topics, load_data, load_stories, modapte, parse_sgml, read_stories

__all__ = ["Story", "choose_topics", "load_data", "load_stories", "modapte", "parse_sgml", "read_stories"]
