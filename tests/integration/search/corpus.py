"""A fixed corpus of videos for relevance tests, as data: the same rows go to the index
directly and to SQL (where the search service reads them back)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clipcast.adapters.search.base import SearchDoc
from clipcast.search.documents import listed
from clipcast.videos.lifecycle import Visibility

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
_NAMESPACE = uuid.UUID("6f1b1f0e-8a57-4d7e-9a43-0c5a1f3d2e10")


@dataclass(frozen=True)
class Entry:
    key: str
    title: str
    description: str
    tags: tuple[str, ...]
    owner: str
    duration: float
    days_ago: float
    visibility: Visibility = Visibility.PUBLIC
    popularity: float = 0.0

    @property
    def id(self) -> uuid.UUID:
        return video_id(self.key)

    @property
    def created_at(self) -> datetime:
        return NOW - timedelta(days=self.days_ago)


def video_id(key: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"video:{key}")


def user_id(name: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"user:{name}")


PRIVATE, UNLISTED = Visibility.PRIVATE, Visibility.UNLISTED

CORPUS = [
    Entry("guitar-lesson", "Guitar lesson for beginners",
          "Your first guitar lesson: how to hold the pick, tune the strings and play three open "
          "chords.", ("guitar", "music", "lesson"), "jake", 900, 3, popularity=50),
    Entry("guitar-solo", "Blues guitar solo in E",
          "Improvise a blues solo over a twelve bar shuffle.", ("guitar", "blues"),
          "jake", 420, 40, popularity=80),
    Entry("guitars-review", "Five cheap electric guitars compared",
          "We test five budget guitars and amps side by side.", ("guitar", "gear", "review"),
          "jake", 1500, 200, popularity=30),
    Entry("bass", "Bass guitar basics", "Slap and fingerstyle for the bass player.",
          ("bass", "music"), "jake", 600, 10, popularity=20),
    Entry("drums", "Drums for beginners",
          "Keep a steady beat: your first rock groove on the kit.", ("drums", "music"),
          "jake", 700, 5, popularity=10),
    Entry("piano", "Piano chords made easy",
          "Play along with drums and bass: major and minor chords on the piano.",
          ("piano", "music"), "jake", 540, 15, popularity=40),
    Entry("ukulele", "Ukulele songs for beginners", "Four easy chords, ten songs.",
          ("ukulele", "music"), "jake", 660, 22, popularity=35),
    Entry("creme", "Crème brûlée at home",
          "A silky vanilla custard with a crackling caramel top.",
          ("dessert", "french", "cooking"), "marie", 480, 2, popularity=70),
    Entry("cake", "Chocolate cake without an oven",
          "A moist chocolate cake steamed in a pot.", ("dessert", "cooking", "chocolate"),
          "marie", 720, 20, popularity=60),
    Entry("bread", "Bake sourdough bread",
          "Feed the starter, shape the loaf and bake it in a dutch oven.",
          ("bread", "baking", "cooking"), "marie", 1800, 60, popularity=90),
    Entry("pasta", "Fresh pasta by hand",
          "Flour, eggs and a rolling pin: tagliatelle in twenty minutes.",
          ("pasta", "italian", "cooking"), "marie", 960, 100, popularity=45),
    Entry("ramen", "Tonkotsu ramen from scratch",
          "A twelve hour pork broth, noodles and soft eggs.", ("ramen", "japanese", "cooking"),
          "marie", 2400, 400, popularity=85),
    Entry("pancakes", "Fluffy pancakes in ten minutes", "Breakfast pancakes with buttermilk.",
          ("breakfast", "cooking"), "marie", 200, 1, popularity=15),
    Entry("knife", "Knife skills: dice an onion", "Dice, mince and julienne safely.",
          ("cooking", "knife"), "marie", 150, 8, popularity=25),
    Entry("cafe", "Café latte art", "Pour a heart and a rosetta with steamed milk.",
          ("coffee", "barista"), "marie", 240, 9, popularity=55),
    Entry("photo", "Photography tips for travel",
          "Golden hour, composition and what to pack in your camera bag.",
          ("photography", "travel"), "lena", 840, 12, popularity=55),
    Entry("iceland", "Iceland road trip",
          "Waterfalls, black sand beaches and the ring road in winter.", ("travel", "iceland"),
          "lena", 1320, 30, popularity=75),
    Entry("kyoto", "Kyoto temples at dawn", "Quiet temples and gardens before the crowds.",
          ("travel", "japan"), "lena", 600, 90, popularity=35),
    Entry("drone", "Drone footage over the Alps", "Aerial views of glaciers and peaks.",
          ("drone", "travel", "mountains"), "lena", 300, 250, popularity=65),
    Entry("lightroom", "Editing photos in Lightroom",
          "Presets, masks and colour grading for landscape photography.",
          ("photography", "editing"), "lena", 1100, 45, popularity=40),
    Entry("naive", "Naïve art: painting without rules",
          "Bright colours, flat perspective, no training.", ("painting", "art"),
          "lena", 900, 75, popularity=20),
    Entry("python", "Python tutorial for beginners",
          "Variables, loops and functions: write your first program.",
          ("python", "programming", "tutorial"), "omar", 3600, 25, popularity=95),
    Entry("rust", "Rust ownership explained",
          "Borrowing, lifetimes and the borrow checker without tears.", ("rust", "programming"),
          "omar", 1500, 70, popularity=50),
    Entry("sql", "SQL joins in ten minutes",
          "Inner, left and full outer joins with clear diagrams.",
          ("sql", "databases", "programming"), "omar", 600, 130, popularity=30),
    Entry("linux", "Linux command line basics",
          "Navigate, search and edit files in the terminal.", ("linux", "terminal"),
          "omar", 1200, 300, popularity=45),
    Entry("git", "Git branching workflow", "Feature branches, rebasing and pull requests.",
          ("git", "programming"), "omar", 900, 7.5, popularity=35),
    Entry("keyboard", "Building a mechanical keyboard",
          "Switches, keycaps and soldering the circuit board.",
          ("keyboard", "diy", "electronics"), "omar", 2000, 160, popularity=20),
    Entry("yoga", "Morning yoga stretch", "Fifteen minutes of gentle yoga to wake up.",
          ("yoga", "fitness"), "sam", 900, 4, popularity=60),
    Entry("hiit", "HIIT workout without equipment",
          "Twenty minutes of high intensity intervals at home.", ("fitness", "workout"),
          "sam", 1200, 14, popularity=70),
    Entry("running", "Running form for beginners",
          "Cadence, posture and breathing for your first 5k.", ("running", "fitness"),
          "sam", 480, 35, popularity=40),
    Entry("marathon", "Marathon training plan", "Sixteen weeks from half to full marathon.",
          ("running", "marathon"), "sam", 1600, 220, popularity=30),
    Entry("stretch", "Stretching after running", "Five stretches for calves and hamstrings.",
          ("running", "stretching"), "sam", 180, 2.1, popularity=20),
    Entry("chess", "Chess openings for beginners",
          "The Italian game, the London system and the Sicilian defence.", ("chess", "games"),
          "bob", 1400, 50, popularity=50),
    Entry("cats", "Funny cat compilation", "Cats falling off sofas, for ten minutes.",
          ("cats", "funny"), "bob", 600, 6, popularity=99),
    Entry("garden", "Growing tomatoes on a balcony",
          "Pots, soil and watering for a summer harvest.", ("gardening", "tomatoes"),
          "bob", 780, 80, popularity=25),
    Entry("bike", "Fix a flat bike tire", "Patch the tube and reseat the tire in five minutes.",
          ("bike", "repair", "diy"), "bob", 300, 18, popularity=45),
    Entry("origami", "Origami crane step by step", "Fold a paper crane from one square sheet.",
          ("origami", "paper", "diy"), "bob", 420, 140, popularity=15),
    Entry("woodwork", "Woodworking: a simple stool", "Cut, join and finish a three legged stool.",
          ("woodworking", "diy"), "bob", 1900, 190, popularity=30),
    Entry("bob-private", "Guitar lesson recording", "My own guitar practice, not for others.",
          ("guitar",), "bob", 600, 1.1, PRIVATE),
    Entry("bob-unlisted", "Guitar lesson for friends", "A guitar lesson shared by link.",
          ("guitar", "lesson"), "bob", 600, 1.2, UNLISTED),
    Entry("marie-private", "Secret family recipe", "Grandmother's crème brûlée, step by step.",
          ("cooking",), "marie", 300, 3.1, PRIVATE),
]  # fmt: skip

BY_KEY = {entry.key: entry for entry in CORPUS}
BY_ID = {entry.id: entry.key for entry in CORPUS}

PUBLIC = {entry.key for entry in CORPUS if entry.visibility is Visibility.PUBLIC}


def to_doc(entry: Entry) -> SearchDoc:
    return SearchDoc(
        video_id=entry.id,
        title=entry.title,
        description=entry.description,
        tags=entry.tags,
        owner_id=user_id(entry.owner),
        owner_name=entry.owner,
        visibility=entry.visibility.value,
        listed=listed(entry.visibility),
        created_at=entry.created_at,
        duration=entry.duration,
        popularity=entry.popularity,
    )
