"""Write transcripts/p07-recovery.docx, the Word example (run again after editing the text).

Word transcripts usually have one paragraph per turn; here the header lines come first, then a
blank paragraph, then ``INT:`` / ``P07:`` turns, one of them with a line break inside.
"""

from pathlib import Path

import docx

HEADER = [
    "Study: Fictional example for dtors-nlp (not a real interview)",
    "Participant: P07",
    "Date: 21 November 2008",
]
TURNS = [
    ("INT", "How long have you been in treatment now?"),
    ("P07", "Just over a year. Fourteen months, if you count the detox."),
    ("INT", "And what brought you in?"),
    (
        "P07",
        "Court, if I'm honest. I got a drug rehabilitation requirement. I wouldn't have come "
        "otherwise, not then.",
    ),
    ("INT", "How did you feel about being told to come?"),
    (
        "P07",
        "Angry at first. I thought it was just another hoop to jump through.\n"
        "But after a couple of months I realised I was turning up on days I didn't have to.",
    ),
    ("INT", "What made you start turning up?"),
    (
        "P07",
        "The cooking group, believe it or not. Sitting down and eating a proper meal with people. "
        "I hadn't done that in years.",
    ),
    ("INT", "Were there times you thought about leaving?"),
    (
        "P07",
        "Loads. When my dad died I used for a week solid. I thought that was it, they'd breach me.",
    ),
    ("INT", "What happened?"),
    (
        "P07",
        "My worker went to court with me and explained. The magistrate gave me another chance. "
        "Nobody had ever stuck up for me like that.",
    ),
    ("INT", "Where are you now with your use?"),
    (
        "P07",
        "Nothing for five months. I'm volunteering on the reception desk two days a week, "
        "which is a bit mad when you think about it.",
    ),
    ("INT", "Thank you for talking to me."),
]


def main() -> None:
    document = docx.Document()
    for line in HEADER:
        document.add_paragraph(line)
    document.add_paragraph("")
    for label, speech in TURNS:
        paragraph = document.add_paragraph(f"{label}: ")
        first, *rest = speech.split("\n")
        run = paragraph.add_run(first)
        for line in rest:
            run.add_break()
            run = paragraph.add_run(line)
    out = Path(__file__).parent / "transcripts" / "p07-recovery.docx"
    document.save(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
