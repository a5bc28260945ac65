"""Answer shapes from the question's wording."""

from __future__ import annotations

import pytest

from docq.pipeline.question import Question, Shape, shape_of


@pytest.mark.parametrize(
    ("question", "shape"),
    [
        ("Who was the duke in the battle of Hastings?", Shape.FACT),
        ("In what country is Normandy located?", Shape.FACT),
        ("How many faulty processes make consensus impossible?", Shape.FACT),
        ("How long is the election timeout?", Shape.FACT),
        ("Which of Bigtable and Spanner provides external consistency?", Shape.FACT),  # a choice: a phrase
        ("How does MapReduce deal with stragglers?", Shape.EXPLAIN),
        ("Why do tablet servers use Chubby?", Shape.EXPLAIN),
        ("Explain the role of the master.", Shape.EXPLAIN),
        ("What is the purpose of the E vector?", Shape.EXPLAIN),
        ("Summarize the Raft paper.", Shape.SUMMARY),
        ("What is the main argument of the end-to-end paper?", Shape.SUMMARY),
        ("What is this report about?", Shape.SUMMARY),
        ("Give me an overview of the design.", Shape.SUMMARY),
        ("Which paper introduces the TrueTime API?", Shape.DOCUMENT),
        ("In which document is the budget for 2024?", Shape.DOCUMENT),
        ("Which papers use GPUs?", Shape.DOCUMENT),
        # "file" modifies the noun that heads the phrase: a fact, not a document
        ("What file format does Bigtable use internally to store its data?", Shape.FACT),
        ("Which file system does Bigtable keep its log and data files in?", Shape.FACT),
        ("What three properties cannot all hold?", Shape.LIST),
        ("List the steps of a leader election.", Shape.LIST),
        ("Which differences between local and remote calls does the note point out?", Shape.LIST),
        # "what are the" asks for items only with a count (SQuAD: "What are the agents ... called?")
        ("What are the phases of the protocol?", Shape.FACT),
        ("What are the two phases of the protocol?", Shape.LIST),
        ("What two types of znodes can a client create?", Shape.LIST),
        # a year is not a count, and "has" is not a plural noun
        ("Howard Van Doren Shaw was the designer of which 1917 Progressive Era community?", Shape.FACT),
        ("Which has more species, Aichryson or Polypodium?", Shape.FACT),
        # two questions in one, or a comparison: a few sentences
        ("Which algorithm is it, and what message does it send along channels?", Shape.EXPLAIN),
        ("Compare the deployment sizes reported in the Tor paper and in the Akamai paper.", Shape.EXPLAIN),
        ("Are both Cypress and Ajuga genera?", Shape.YES_NO),  # "and", no choice
        ("Is Rouen in Normandy?", Shape.YES_NO),
        ("Were Scott Derrickson and Ed Wood of the same nationality?", Shape.YES_NO),
        ("Was it Rollo or Richard who signed the treaty?", Shape.FACT),  # a choice, not yes/no
        # an auxiliary opening the main clause after a leading one
        ("If the master dies, does the job restart from a checkpoint?", Shape.YES_NO),
        ("According to Gilbert and Lynch, can the algorithm return atomic data?", Shape.YES_NO),
        ("In 1066, who crossed the Channel?", Shape.FACT),
        ("In what year of the century, did Harvard publish the report?", Shape.FACT),
        ("A manga about a student Ichitaka Seto, is drawn by a man born in what year?", Shape.FACT),
        ("Which process replies to queries?", Shape.FACT),  # "process" is one thing, not a list
    ],
)
def test_shapes_follow_the_wording(question: str, shape: Shape) -> None:
    assert shape_of(question) is shape


def test_a_question_is_read_once_with_its_key_terms_and_a_forced_shape() -> None:
    question = Question.read("  Who   founded Normandy in 911? ")
    assert question.text == "Who founded Normandy in 911?"
    assert question.key_terms == ("Normandy", "911")
    assert question.shape is Shape.FACT and not question.shape_forced
    forced = Question.read("Who founded Normandy?", Shape.EXPLAIN)
    assert forced.shape is Shape.EXPLAIN and forced.shape_forced and forced.long_form


def test_a_question_is_read_for_choices_parts_and_several_documents() -> None:
    choice = Question.read("Which of Jonny Craig and Pete Doherty has been in more bands?")
    assert choice.choices == ("Jonny Craig", "Pete Doherty") and choice.shape is Shape.FACT
    assert Question.read("Which was formed first, the duo Big & Rich or Lonestar?").choices == (
        "the duo Big & Rich",
        "Lonestar",
    )
    compound = Question.read("Which algorithm is it, and what special message does it send along channels?")
    assert compound.parts == ("Which algorithm is it", "what special message does it send along channels?")
    assert compound.shape is Shape.EXPLAIN
    assert Question.read("Which two papers use leases, and for what?").several_documents
    assert not Question.read("Which paper introduces the TrueTime API?").several_documents
    assert Question.read("Who founded Normandy?").parts == ()
