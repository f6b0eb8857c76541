"""Extraction rules about English news grammar (issue 16), each on composed sentences (invented wording, the
shapes seen on real reports in tests/labelled/untuned/): titles written around names, and events told with
their dates, places and participants in the ways news reports tell them."""

from ledger.core import extract as ex

PUBLISHED = "2024-12-01"


def cands(text, kind, published=PUBLISHED, entities=None):
    return [c for c in ex.extract(text, published, entities=entities, kinds=(kind,))]


def titles(text):
    return {(c.subject, c.value) for c in cands(text, "title")}


def events(text, published=PUBLISHED, entities=None):
    return {(c.subject, c.predicate, c.value, c.valid_from, c.valid_to) for c in cands(text, "event", published, entities)}


# ---------------------------------------------------------------- titles


def test_an_organisation_written_straight_before_its_officers_name_is_split_from_it():
    got = titles("He met Chairman of the Standing Committee of the National Farmers' Congress Tomas Berger in Hill Town.")
    assert ("Tomas Berger", "Chairman of the Standing Committee of the National Farmers' Congress") in got


def test_for_joins_a_post_before_a_name():
    got = titles("At the invitation of Secretary General of the Forum for Asia Petr Dvorak, the minister came.")
    assert ("Petr Dvorak", "Secretary General of the Forum for Asia") in got


def test_an_honorific_between_a_post_and_the_name_does_not_hide_the_name():
    got = titles("Phnom Penh: Ruritanian Deputy Prime Minister and Minister of Foreign Affairs and International "
                 "Cooperation H.E. BERGER Tomas is paying a visit to Japan.")
    assert ("Berger Tomas", "Ruritanian Deputy Prime Minister and Minister of Foreign Affairs and International "
                         "Cooperation") in {(s.title(), v) for s, v in got}


def test_a_weekday_after_a_name_is_not_part_of_it():
    got = titles("BERN, May 8 (Xinhua) -- Ruritanian State Councilor and Foreign Minister Tomas Berger Sunday called for calm.")
    assert ("Tomas Berger", "Ruritanian State Councilor and Foreign Minister") in got


def test_a_form_of_address_is_not_part_of_the_title():
    got = titles("The minister will meet H.E. Deputy Prime Minister Tomas Berger.")
    assert ("Tomas Berger", "Deputy Prime Minister") in got
    assert not any(v.startswith("H.E.") for _, v in got)


def test_a_photo_captions_position_mark_between_a_name_and_its_appositive():
    got = titles("Senate President Tomas Berger (L), leader of the FP, meets Chinese President Xi Jinping in Beijing.")
    assert ("Tomas Berger", "leader of the FP") in got


def test_who_also_serves_as():
    got = titles("Tomas Berger, who also serves as the Chairman of the Commission for External Relations, left today.")
    assert ("Tomas Berger", "Chairman of the Commission for External Relations") in got


def test_posts_set_off_by_a_comma_before_the_name_after_a_preposition():
    got = titles("Xi Jinping held talks in Beijing with chairman of the Farmers' Party (FP) and chairman of the "
                 "Senate, Samdech Tomas Berger.")
    assert {("Tomas Berger", "chairman of the Farmers' Party"), ("Tomas Berger", "chairman of the Senate")} <= got


# ---------------------------------------------------------------- events


def test_talks_with_their_place_and_date_between_talks_and_with():
    got = events("Xi Jinping held talks in Beijing on Dec. 3 with Senate President Tomas Berger.")
    assert ("Xi Jinping", "meeting", "Tomas Berger", "2024-12-03", "2024-12-03") in got


def test_met_leaders_including_a_titled_person():
    got = events("Tomas Berger arrived in Hill Town on December 2. On the sidelines, Tomas Berger also met senior "
                 "leaders including Chairman of the Standing Committee of the National Farmers' Congress Petr Dvorak.")
    assert any(s == "Tomas Berger" and p == "meeting" and v == "Petr Dvorak" for s, p, v, _, _ in got)


def test_the_list_of_people_met_stops_at_the_speaker_of_a_report():
    got = events("Tomas Berger is expected to hold talks with Premier Petr Dvorak, his spokesperson Eva Horak told "
                 "the press on Friday.")
    met = {v for s, p, v, _, _ in got if p == "meeting"}
    assert "Petr Dvorak" in met and "Eva Horak" not in met


def test_a_visits_programme_sentence_is_the_visitors():
    got = events("Deputy Prime Minister Tomas Berger is paying a four-day visit to China from November 28. These "
                 "include discussions with Foreign Minister Petr Dvorak.")
    assert ("Tomas Berger", "meeting", "Petr Dvorak", "2024-11-28", "2024-12-01") in got


def test_made_the_remarks_when_meeting_takes_the_remarks_date():
    got = events("BERN, May 8 (Xinhua) -- Foreign Minister Tomas Berger on Sunday called for calm.\n\nBerger made the "
                 "remarks when meeting with Deputy Prime Minister Petr Dvorak via video link.", published="2022-05-09")
    assert ("Tomas Berger", "meeting", "Petr Dvorak", "2022-05-08", "2022-05-08") in got


def test_a_delegation_to_attend_a_gathering_visits_the_place_it_is_in():
    got = events("Tomas Berger led a high-level delegation to attend the forum's annual conference in China's Hainan "
                 "Province from 27 to 29 March 2024.")
    assert ("Tomas Berger", "visit", "Hainan Province", "2024-03-27", "2024-03-29") in got


def test_who_is_in_a_place_to_attend():
    got = events("Petr Dvorak on Thursday met with Foreign Minister Tomas Berger, who is in Anning, southwest China's "
                 "Yunnan Province, to attend a meeting.", published="2025-08-15")
    assert ("Tomas Berger", "visit", "Anning", "2025-08-14", "2025-08-14") in got


def test_has_arrived_with_no_date_is_the_reports_day():
    got = events("Prime Minister Tomas Berger has arrived in Kabul for a day-long visit.", published="2020-11-19")
    assert ("Tomas Berger", "visit", "Kabul", "2020-11-19", "2020-11-19") in got


def test_a_visits_length_and_the_next_sentences_date():
    got = events("Minister Tomas Berger is paying a four-day visit to Japan. Tomas Berger departed from the airport this "
                 "morning.", published="2024-11-28")
    assert ("Tomas Berger", "visit", "Japan", "2024-11-28", "2024-12-01") in got


def test_his_visit_after_two_subjects_is_the_last_persons():
    got = events("Adviser Petr Dvorak and Secretary Eva Horak held a meeting with Prime Minister Tomas Berger during "
                 "his four-day visit to India. The meeting took place in Delhi on Wednesday.", published="2023-05-31")
    assert any(s == "Tomas Berger" and p == "visit" and v == "India" for s, p, v, _, _ in got)
    assert not any(s == "Petr Dvorak" and p == "visit" for s, p, v, _, _ in got)


def test_the_visits_later_dates_make_its_first_ones_precise():
    text = ("Senate President Tomas Berger is set to lead a delegation to China next week.\n\nDuring the visit "
            "scheduled from December 2 to 4, Tomas Berger will hold a meeting with President Petr Dvorak. "
            "Additionally, he will hold separate meetings with Premier Eva Horak.")
    got = events(text, published="2024-11-30")
    assert ("Tomas Berger", "visit", "China", "2024-12-02", "2024-12-04") in got
    assert ("Tomas Berger", "meeting", "Petr Dvorak", "2024-12-02", "2024-12-04") in got
    # "Additionally, he ...": the sentence adverb is skipped, "he" is the visitor
    assert ("Tomas Berger", "meeting", "Eva Horak", "2024-12-02", "2024-12-04") in got


def test_visits_and_meetings_with_no_date_are_proposed_undated():
    got = events("As well as meeting Petr Dvorak, Tomas Berger is expected to hold talks with Premier Eva Horak. He "
                 "will then travel to the southern city of Nanning to attend an expo.")
    assert ("Tomas Berger", "meeting", "Eva Horak", None, None) in got
    assert ("Tomas Berger", "visit", "Nanning", None, None) in got
    undated = [c for c in cands("He is visiting India at the invitation of Petr Dvorak. Tomas Berger visited the "
                                "stadium.", "event")]
    assert undated == []  # a bare "visiting"/"visited" with no date, or a place with no name, is not proposed


def test_honorifics_alone_stand_for_the_person_they_were_given_to():
    got = events("Samdech Techo Tomas Berger arrived in Hainan on 27 March 2024. On the sidelines of the forum, "
                 "Samdech Techo also met Chairman Petr Dvorak.", published="2024-03-29")
    assert any(s == "Tomas Berger" and p == "meeting" and v == "Petr Dvorak" for s, p, v, _, _ in got)


def test_one_visit_per_subject_and_place():
    text = ("On September 15, in Beijing, President Petr Dvorak received Prime Minister Tomas Berger, who is on an "
            "official visit to China. Previously, the ministry said that Prime Minister Tomas Berger paid an official "
            "visit to China from September 14 to 16.")
    visits = [e for e in events(text, published="2023-09-15") if e[1] == "visit"]
    assert visits == [("Tomas Berger", "visit", "China", "2023-09-14", "2023-09-16")]


# ---------------------------------------------------------------- quotations


def speakers(text, published=PUBLISHED):
    return {(c.value[:20], c.speaker) for c in cands(text, "quotation", published)}


def test_a_definite_title_after_a_quotation_is_the_person_the_report_is_about():
    got = speakers("Prime Minister Tomas Berger presided over the ceremony this morning.\n\n“Through this canal, we "
                   "are showing our unity,” the Premier stated.")
    assert ("Through this canal, ", "Tomas Berger") in got


def test_the_speaker_named_after_an_inverted_verb_says_a_partial_quotation():
    got = speakers("Foreign Minister Tomas Berger met the press on Sunday.\n\nFrom next month, four countries will "
                   "host the Leaders' Meeting, said Berger, adding that this is the \"Asian moment\" for governance.")
    assert ("Asian moment", "Tomas Berger") in got


def test_honorifics_alone_stand_for_the_person_the_report_is_about():
    got = speakers("Kampong Speu, May 30 – Prime Minister Tomas Berger announced that the works will begin in August."
                   "\n\nSamdech Thipadei underscored, \"We will not delay this work.\"")
    assert ("We will not delay th", "Tomas Berger") in got


# ---------------------------------------------------------------- quantities


def quantities(text):
    return {(c.text, c.normalized["value"], c.normalized["unit"]) for c in cands(text, "quantity")}


def test_a_figure_others_gave_standing_alone():
    got = quantities("The stand will hold 60,000, lower than the reported 75,000.")
    assert ("reported 75,000", 75000.0, None) in got


def test_a_duration_told_as_a_distance():
    got = quantities("The site lies approximately one hour’s drive from the capital.")
    assert ("approximately one hour", 1.0, "hours") in got
