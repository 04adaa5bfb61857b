namespace ExpertsAtHand.Domain.Requests;

public enum RequestLevel
{
    WholeSetting,
    Group,
    Individual,
}

public enum Discipline
{
    EducationalPsychology,
    SpeechAndLanguageTherapy,
    OccupationalTherapy,
    SpecialistTeaching,
    MentalHealth,
    SpecialSchoolOutreach,
}

public enum AreaOfNeed
{
    CommunicationAndInteraction,
    CognitionAndLearning,
    SocialEmotionalAndMentalHealth,
    SensoryAndPhysical,
}

/// <summary>School census SEN status: N, K, E.</summary>
public enum SenStatus
{
    NoSen,
    SenSupport,
    EhcPlan,
}

public enum Priority
{
    Urgent,
    High,
    Routine,
}

public enum SupportType
{
    Consultation,
    GroupSupport,
    Training,
    TargetedIntervention,
}

public enum SpecialistPathway
{
    NhsClinicalSpeechAndLanguageTherapy,
    NhsClinicalOccupationalTherapy,
    Camhs,
    Neurodevelopmental,
    EhcNeedsAssessmentAdvice,
    EarlyHelpOrSocialCare,
    SensoryService,
}

public enum ContactMode
{
    InPerson,
    Video,
    Telephone,
}

/// <summary>Who took part in a contact: roles only, never names.</summary>
public enum Attendee
{
    Child,
    ParentOrCarer,
    Senco,
    Teacher,
    TeachingAssistant,
    OtherProfessional,
}

public enum ClosureOutcome
{
    NeedsMetInSetting,
    ContinuingWithUniversalSupport,
    ReferredToSpecialistPathway,
    EhcNeedsAssessmentRequested,
    SpecialistPlacementSought,
    Withdrawn,
    NoFurtherAction,
}

public enum RequestStatus
{
    AwaitingTriage,
    AwaitingInformation,
    AwaitingAllocation,
    Allocated,
    InProgress,
    Closed,
    Withdrawn,
}

public enum SlaClock
{
    Triage,
    FirstContact,
}

public enum SlaCheckKind
{
    AtRisk,
    Breach,
}

/// <summary>
/// What an individual request may hold about a child: a reference the setting chose (never a
/// name), a year group (never a date of birth), SEN status, and whether parental consent is recorded.
/// </summary>
public sealed record ChildDetails(string Reference, int YearGroup, SenStatus SenStatus, bool ParentalConsent);

/// <summary>Why a request's details were erased: a category, so the record of it names no one.</summary>
public enum ErasureGrounds
{
    /// <summary>The family or the young person exercised the right to erasure (UK GDPR article 17).</summary>
    RightToErasure,

    /// <summary>The request was raised about the wrong child or holds what should never have been recorded.</summary>
    RecordedInError,

    /// <summary>The area's retention period for the child's records ended.</summary>
    RetentionEnded,
}
