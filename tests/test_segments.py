"""Cutting segments at sentence boundaries."""

from gesprekopname.segments import sentence_offsets, sentences, split_at
from gesprekopname.types import Segment, Word


def test_sentence_offsets_point_at_each_sentence():
    text = "Ja, dat wel. Ik was nooit te laat. Dus je bent betrouwbaar?"
    found = sentence_offsets(text)
    assert [s for _, s in found] == ["Ja, dat wel.", "Ik was nooit te laat.", "Dus je bent betrouwbaar?"]
    assert all(text[pos:].startswith(s) for pos, s in found)


def test_a_hesitation_does_not_end_the_sentence():
    assert sentences("Dat ik... eh, dat ik pas echt leer als ik het doe. Op school niet.") == [
        "Dat ik... eh, dat ik pas echt leer als ik het doe.", "Op school niet."]
    assert sentences("Het was eng… Het voelde goed. Alles is maar... Stof.") == [
        "Het was eng…", "Het voelde goed.", "Alles is maar...", "Stof."]


def test_split_without_words_cuts_by_share_of_speaking_time():
    head, tail = split_at(Segment(10.0, 20.0, "Eerst dit. Dan dat."), 10)
    assert (head.text, tail.text) == ("Eerst dit.", "Dan dat.")
    assert head.end == tail.start and 15.0 < head.end < 16.0


def test_a_short_reply_split_off_without_words_keeps_the_time_a_reply_takes():
    # Said after a pause, this "Ja." took 0.68 s; by its share of characters it would get 0.27 s.
    text = "Je zit nu twee weken bij Schildersbedrijf Bosman, toch? Ja."
    head, tail = split_at(Segment(4.5, 9.7, text), text.index("Ja."))
    assert tail.text == "Ja." and tail.end - tail.start > 0.6


def test_split_with_words_cuts_where_the_next_word_starts():
    words = [Word(0.0, 0.4, "Goed."), Word(1.5, 1.9, "Wat"), Word(1.9, 2.2, "nu?")]
    head, tail = split_at(Segment(0.0, 2.2, "Goed. Wat nu?", words=words), 5)
    assert head.end == tail.start == 1.5
    assert [w.word for w in head.words] == ["Goed."] and [w.word for w in tail.words] == ["Wat", "nu?"]
