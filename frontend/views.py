from django.http import HttpResponse


def home(request):
    return HttpResponse("Phòng họp số")


def meeting_detail(request, meeting_id: int):
    return HttpResponse(str(meeting_id))
