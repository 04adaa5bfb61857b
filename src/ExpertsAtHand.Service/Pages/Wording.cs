using ExpertsAtHand.Domain.Requests;

namespace ExpertsAtHand.Service.Pages;

/// <summary>The service's vocabulary in the words its users use, for every page.</summary>
public static class Wording
{
    public static string Of(Enum value) => value switch
    {
        RequestLevel.WholeSetting => "The whole setting",
        RequestLevel.Group => "A group of children",
        RequestLevel.Individual => "One child",
        Discipline.EducationalPsychology => "Educational psychology",
        Discipline.SpeechAndLanguageTherapy => "Speech and language therapy",
        Discipline.OccupationalTherapy => "Occupational therapy",
        Discipline.SpecialistTeaching => "Specialist teaching",
        Discipline.MentalHealth => "Mental health support",
        Discipline.SpecialSchoolOutreach => "Special school outreach",
        AreaOfNeed.CommunicationAndInteraction => "Communication and interaction",
        AreaOfNeed.CognitionAndLearning => "Cognition and learning",
        AreaOfNeed.SocialEmotionalAndMentalHealth => "Social, emotional and mental health",
        AreaOfNeed.SensoryAndPhysical => "Sensory and/or physical",
        Domain.Requests.SenStatus.NoSen => "No SEN recorded",
        Domain.Requests.SenStatus.SenSupport => "SEN support",
        Domain.Requests.SenStatus.EhcPlan => "EHC plan",
        Priority.Urgent => "Urgent – a risk of exclusion or placement breakdown",
        Priority.High => "High",
        Priority.Routine => "Routine",
        Domain.Practitioners.ProviderOrganisation.LocalAuthorityTeam => "Local authority team",
        Domain.Practitioners.ProviderOrganisation.NhsTrust => "NHS trust",
        Domain.Practitioners.ProviderOrganisation.SpecialSchoolOutreach => "Special school outreach",
        Domain.Settings.Phase.EarlyYears => "Early years",
        Domain.Settings.Phase.Primary => "Primary",
        Domain.Settings.Phase.Secondary => "Secondary",
        Domain.Settings.Phase.AllThrough => "All-through",
        Domain.Settings.Phase.FurtherEducation => "Further education",
        Domain.Settings.Phase.AlternativeProvision => "Alternative provision",
        Domain.Feedback.SatisfactionRating.VerySatisfied => "Very satisfied",
        Domain.Feedback.SatisfactionRating.Satisfied => "Satisfied",
        Domain.Feedback.SatisfactionRating.NeitherSatisfiedNorDissatisfied => "Neither satisfied nor dissatisfied",
        Domain.Feedback.SatisfactionRating.Dissatisfied => "Dissatisfied",
        Domain.Feedback.SatisfactionRating.VeryDissatisfied => "Very dissatisfied",
        Domain.Feedback.FeedbackTheme.Timeliness => "How long it took",
        Domain.Feedback.FeedbackTheme.Communication => "Keeping people informed",
        Domain.Feedback.FeedbackTheme.QualityOfAdvice => "The quality of the advice",
        Domain.Feedback.FeedbackTheme.EaseOfAsking => "How easy it was to ask",
        Domain.Feedback.FeedbackTheme.FamilyInvolvement => "Involving the family",
        Domain.Feedback.FeedbackTheme.DifferenceMade => "The difference it made",
        Domain.Feedback.FeedbackTheme.Other => "Something else",
        _ => value.ToString(),
    };
}
